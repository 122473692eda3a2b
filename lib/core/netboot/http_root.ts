// The files Ingot serves to a network-booting node, under the HTTP root (lib/server/boot_http.ts
// serves it at /boot/): `<uuid>/boot.ipxe` (the node's script), `<uuid>/<name>` (links to its
// kernel and ramdisk, in the image cache or where a local path points) and `mac/<aa-bb-…>` (a link
// to the script per port MAC, what the chain script asks for). They exist only while the node
// boots from the network: removing them is what makes Ingot answer 404 again.
import { lstat, mkdir, readdir, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { macFileName } from "./ipxe_script.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const SCRIPT_NAME = "boot.ipxe";
export const MAC_DIR = "mac";

function nodeDir(httpRoot: string, uuid: string): string {
  // The uuid names a directory: only ever a real uuid.
  if (!UUID.test(uuid)) throw new Error(`not a node uuid: ${uuid}`);
  return join(httpRoot, uuid);
}

export interface NodeBootFiles {
  script: string;
  /** File name in the node's directory → the local file it serves. */
  files: Record<string, string>;
  macs: string[];
}

async function replaceLink(target: string, path: string): Promise<void> {
  const tmp = `${path}.new-${process.pid}`;
  await rm(tmp, { force: true });
  await symlink(target, tmp);
  await rename(tmp, path);
}

/** Writes (or replaces) what the node boots: its script, its files, its MAC links. */
export async function writeNodeBootFiles(httpRoot: string, uuid: string, boot: NodeBootFiles): Promise<void> {
  const dir = nodeDir(httpRoot, uuid);
  await removeNodeBootFiles(httpRoot, uuid);
  await mkdir(dir, { recursive: true });
  for (const [name, source] of Object.entries(boot.files)) await replaceLink(resolve(source), join(dir, name));
  await writeFile(join(dir, SCRIPT_NAME), boot.script);
  await mkdir(join(httpRoot, MAC_DIR), { recursive: true });
  for (const mac of boot.macs) await replaceLink(join("..", uuid, SCRIPT_NAME), join(httpRoot, MAC_DIR, macFileName(mac)));
}

/** Removes the node's script, file links and MAC links (nothing of it is served afterwards). */
export async function removeNodeBootFiles(httpRoot: string, uuid: string): Promise<void> {
  await rm(nodeDir(httpRoot, uuid), { recursive: true, force: true });
  let names: string[];
  try {
    names = await readdir(join(httpRoot, MAC_DIR));
  } catch {
    return;
  }
  for (const name of names) {
    const path = join(httpRoot, MAC_DIR, name);
    try {
      if ((await lstat(path)).isSymbolicLink() && (await readlink(path)) === join("..", uuid, SCRIPT_NAME)) await rm(path, { force: true });
    } catch {
      // removed meanwhile
    }
  }
}

/**
 * `image_download_source=local`: the instance image the agent downloads from Ingot, at
 * `agent_images/<uuid>` (Ironic's [deploy]http_image_subdir), a link to the cached image. It
 * exists only while the node's write_image runs.
 */
export const AGENT_IMAGES_DIR = "agent_images";

/** Links the node's image for its agent; returns the path under the HTTP root. */
export async function linkAgentImage(httpRoot: string, uuid: string, source: string): Promise<string> {
  nodeDir(httpRoot, uuid); // the uuid check
  await mkdir(join(httpRoot, AGENT_IMAGES_DIR), { recursive: true });
  await replaceLink(resolve(source), join(httpRoot, AGENT_IMAGES_DIR, uuid));
  return `${AGENT_IMAGES_DIR}/${uuid}`;
}

export async function unlinkAgentImage(httpRoot: string, uuid: string): Promise<void> {
  nodeDir(httpRoot, uuid);
  await rm(join(httpRoot, AGENT_IMAGES_DIR, uuid), { force: true });
}

/** The files the HTTP root links to now (what nodes boot or their agents download): the image cache keeps them. */
export async function linkedFiles(httpRoot: string): Promise<Set<string>> {
  const targets = new Set<string>();
  const list = (dir: string) => readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const top of await list(httpRoot)) {
    if (!top.isDirectory() || top.name === MAC_DIR) continue;
    const dir = join(httpRoot, top.name);
    for (const entry of await list(dir)) {
      if (!entry.isSymbolicLink()) continue;
      const target = await readlink(join(dir, entry.name)).catch(() => null); // removed meanwhile
      if (target) targets.add(resolve(dir, target));
    }
  }
  return targets;
}
