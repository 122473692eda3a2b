// The image part of a deploy form: the image URL, its checksum (image_checksum, or
// image_os_hash_algo + image_os_hash_value when an algorithm is chosen) and, for the direct
// deploy, image_download_source. Checked with the rules the direct deploy applies
// (lib/shared/image_checksum.ts). Pure: unit-tested.
import {
  hashValueProblem, IMAGE_DOWNLOAD_SOURCES, isHashAlgorithm, parseImageChecksum, type HashAlgorithm,
} from "@/lib/shared/image_checksum.ts";
import { pointer, type PatchOp } from "./patch.ts";

export interface ImageForm {
  image_source: string;
  /** "" = the checksum goes to image_checksum as typed (algorithm by its length, a prefix, or a checksum file URL). */
  checksum_algo: HashAlgorithm | "";
  checksum: string;
  /** "" = not set on the node (driver_info's or Ingot's default applies). */
  image_download_source: (typeof IMAGE_DOWNLOAD_SOURCES)[number] | "";
}

export type ImageField = keyof ImageForm;
export type ImageErrors = Partial<Record<ImageField, string>>;

/** The instance_info keys the form writes. */
const CHECKSUM_KEYS = ["image_checksum", "image_os_hash_algo", "image_os_hash_value"] as const;

const text = (v: unknown) => (typeof v === "string" ? v : "");

/** The form as the node's instance_info fills it. */
export function imageFormFrom(info: Record<string, unknown>): ImageForm {
  const algo = text(info.image_os_hash_algo);
  const hashed = text(info.image_os_hash_value) !== "" && isHashAlgorithm(algo);
  const source = text(info.image_download_source);
  return {
    image_source: text(info.image_source),
    checksum_algo: hashed ? algo : "",
    checksum: hashed ? text(info.image_os_hash_value) : text(info.image_checksum),
    image_download_source: (IMAGE_DOWNLOAD_SOURCES as readonly string[]).includes(source) ? (source as ImageForm["image_download_source"]) : "",
  };
}

/**
 * What is wrong with the form, by field. The checksum is required for the direct deploy (it
 * refuses to deploy without one); elsewhere it is optional but checked when given.
 */
export function imageFormErrors(form: ImageForm, opts: { checksumRequired: boolean }): ImageErrors {
  const errors: ImageErrors = {};
  if (!form.image_source.trim()) errors.image_source = "An image is required (URL or Glance id).";
  const checksum = form.checksum.trim();
  if (!checksum) {
    if (opts.checksumRequired) errors.checksum = "The direct deploy needs the image's checksum.";
  } else if (form.checksum_algo) {
    const problem = hashValueProblem(form.checksum_algo, checksum);
    if (problem) errors.checksum = problem;
  } else {
    const parsed = parseImageChecksum(checksum);
    if ("error" in parsed) errors.checksum = parsed.error;
  }
  return errors;
}

/** The instance_info entries the form gives (for a job's deploy arguments). */
export function imageInstanceInfo(form: ImageForm): Record<string, string> {
  const out: Record<string, string> = { image_source: form.image_source.trim() };
  const checksum = form.checksum.trim();
  if (checksum && form.checksum_algo) Object.assign(out, { image_os_hash_algo: form.checksum_algo, image_os_hash_value: checksum });
  else if (checksum) out.image_checksum = checksum;
  if (form.image_download_source) out.image_download_source = form.image_download_source;
  return out;
}

/**
 * JSON patch ops writing the form to the node's instance_info: its entries added, and the
 * checksum keys it replaces removed (image_os_hash_value would win over a new image_checksum).
 * image_download_source is only touched when the form shows it (`withDownloadSource`).
 */
export function imagePatchOps(form: ImageForm, current: Record<string, unknown>, withDownloadSource: boolean): PatchOp[] {
  const entries = imageInstanceInfo(form);
  if (!withDownloadSource) delete entries.image_download_source;
  const ops: PatchOp[] = Object.entries(entries).map(([k, value]) => ({ op: "add", path: pointer("instance_info", k), value }));
  const stale = [...CHECKSUM_KEYS, ...(withDownloadSource ? ["image_download_source"] : [])];
  for (const k of stale) {
    if (!(k in entries) && k in current) ops.push({ op: "remove", path: pointer("instance_info", k) });
  }
  return ops;
}

const SERVER_FIELDS: Record<string, ImageField> = {
  image_source: "image_source",
  image_checksum: "checksum",
  image_os_hash_value: "checksum",
  image_os_hash_algo: "checksum_algo",
  image_download_source: "image_download_source",
};

/** The form field a refusal from the API is about: the first instance_info key it names. */
export function fieldOfRefusal(message: string): ImageField | null {
  const m = /\b(image_source|image_checksum|image_os_hash_algo|image_os_hash_value|image_download_source)\b/.exec(message);
  return m ? SERVER_FIELDS[m[1]] : null;
}
