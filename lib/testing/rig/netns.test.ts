// The provisioning network of the test rig: namespace, bridge, taps, relays across the boundary,
// and that nothing is left behind. Needs root (skipped otherwise); takes a few seconds.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupLeftoverNetworks, netnsUnavailable, ProvisioningNetwork } from "./netns.ts";

const unavailable = netnsUnavailable();
const namespaces = () => spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;

describe.skipIf(unavailable !== null)(`provisioning network${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let net: ProvisioningNetwork | null = null;
  afterEach(async () => {
    await net?.dispose();
    net = null;
  });

  it("makes a namespace with the bridge address and taps on the bridge, invisible outside, and removes it all", async () => {
    net = ProvisioningNetwork.create({ taps: 2 });
    expect(namespaces()).toContain(net.name);
    expect(net.ipIn("-4", "-o", "addr", "show", "br0")).toContain("inet 10.42.0.1/24");
    for (const tap of ["tap0", "tap1"]) expect(net.ipIn("-o", "link", "show", tap)).toContain("master br0");
    expect(spawnSync("ip", ["link", "show", "tap0"]).status).not.toBe(0); // not in the host's namespace
    const sleeper = net.spawn("sleep", ["600"]);
    const dir = net.dir;
    const name = net.name;
    await net.dispose();
    net = null;
    expect(sleeper.running).toBe(false);
    expect(namespaces()).not.toContain(name);
    expect(existsSync(dir)).toBe(false);
  });

  it("relays a host server into the namespace and a namespace server out to the host", async () => {
    net = ProvisioningNetwork.create({ taps: 1 });
    // host → namespace: a Node server on a unix socket answers at 10.42.0.1:8080 inside
    const socketPath = join(net.dir, "http.sock");
    const server = createServer((req, res) => res.end(`hello ${req.url}`));
    await new Promise<void>((r) => server.listen(socketPath, r));
    await net.exposeUnixSocket(socketPath, 8080);
    const fetched = await net.run("python3", ["-c", "import urllib.request;print(urllib.request.urlopen('http://10.42.0.1:8080/x', timeout=5).read().decode())"]);
    expect(fetched.trim()).toBe("hello /x");
    server.close();

    // namespace → host: a server listening only inside is reached through reachInside's socket
    const inside = net.spawn("python3", ["-u", "-c", [
      "import http.server, json, sys",
      "class H(http.server.BaseHTTPRequestHandler):",
      "    def do_GET(self):",
      "        self.send_response(200); self.end_headers(); self.wfile.write(b'inside')",
      "    def log_message(self, *a): pass",
      "s = http.server.HTTPServer(('10.42.0.1', 9999), H)",
      "print(json.dumps({'event': 'ready'}), flush=True)",
      "s.serve_forever()",
    ].join("\n")]);
    await inside.waitForEvent((e) => e.event === "ready", 10_000);
    const viaSocket = await net.reachInside("10.42.0.1", 9999);
    const body = await new Promise<string>((resolve, reject) => {
      request({ socketPath: viaSocket, path: "/" }, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d)).on("end", () => resolve(text));
      }).on("error", reject).end();
    });
    expect(body).toBe("inside");
  });

  it("removes namespaces left by a crashed run, not those of a live one", () => {
    const stale = "ingot-rig-999999999-0"; // no such pid
    execFileSync("ip", ["netns", "add", stale]);
    net = ProvisioningNetwork.create({ taps: 1 });
    expect(namespaces()).not.toContain(stale);
    expect(cleanupLeftoverNetworks()).toEqual([]);
    expect(namespaces()).toContain(net.name);
  });
});
