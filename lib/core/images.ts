// What kind of image a deployment writes, as Ironic works it out when a deployment starts
// (ironic/conductor/utils.py update_image_type, ironic/common/images.py is_whole_disk_image).
import type { Dict } from "./db/nodes.ts";

export type ImageType = "whole-disk" | "partition";

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A Glance image reference (glance://… or a bare image UUID), as Ironic's is_glance_image. */
export function isGlanceImage(source: string): boolean {
  return source.startsWith("glance://") || UUID_LIKE.test(source);
}

/**
 * The image type of `instanceInfo`, or null when it cannot be told:
 * - no image_source → null;
 * - image_type given → whole-disk unless it says partition (whole disk is the default);
 * - a Glance image → null: Ironic reads the type from Glance's image properties, and Ingot has no
 *   image service (Ironic without a reachable Glance records nothing either);
 * - otherwise (an http(s) or file URL) → partition when instance_info names a kernel or a
 *   ramdisk, else whole-disk. Ironic also probes an http URL to find directory listings (a
 *   "path" source, used by the anaconda deploy); Ingot does not fetch images, so it does not.
 */
export function imageTypeOf(instanceInfo: Dict): ImageType | null {
  const source = instanceInfo.image_source;
  if (typeof source !== "string" || source === "") return null;
  const given = instanceInfo.image_type;
  if (given) return given === "partition" ? "partition" : "whole-disk";
  if (isGlanceImage(source)) return null;
  return instanceInfo.kernel || instanceInfo.ramdisk ? "partition" : "whole-disk";
}
