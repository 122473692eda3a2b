"use client";
// The image fields of a deploy form (the node's deploy dialog, the bulk deploy): URL, checksum and
// its algorithm, and where the agent downloads the image from when the deploy is `direct`.
// Values and rules live in ./deploy_image.ts; each field shows its own error.
import { Field, Select, TextInput } from "@/components/ui.tsx";
import { HASH_ALGORITHMS, HEX_LENGTH } from "@/lib/shared/image_checksum.ts";
import type { ImageErrors, ImageField, ImageForm } from "./deploy_image.ts";

export function ImageFields({ form, errors, onChange, showDownloadSource, checksumRequired }: {
  form: ImageForm;
  errors: ImageErrors;
  onChange: (field: ImageField, value: string) => void;
  showDownloadSource: boolean;
  checksumRequired: boolean;
}) {
  const checksumHint = form.checksum_algo
    ? `The image's ${form.checksum_algo} digest, ${HEX_LENGTH[form.checksum_algo]} hex digits (instance_info/image_os_hash_value).`
    : "A hex digest (md5, sha1, sha256 or sha512, told by its length), <algorithm>:<hex>, or the http(s) URL of a checksum file (instance_info/image_checksum).";
  return (
    <>
      <Field label="Image source" hint="HTTP(S) URL of a disk image, or a Glance image id." error={errors.image_source}>
        {(p) => <TextInput {...p} value={form.image_source} onChange={(e) => onChange("image_source", e.target.value)} required placeholder="https://images.example/ubuntu-24.04.qcow2" />}
      </Field>
      <div className="grid gap-4 sm:grid-cols-[12rem_1fr]">
        <Field label="Checksum algorithm" error={errors.checksum_algo}>
          {(p) => (
            <Select {...p} value={form.checksum_algo} onChange={(e) => onChange("checksum_algo", e.target.value)}>
              <option value="">Told by the checksum</option>
              {HASH_ALGORITHMS.map((a) => <option key={a} value={a}>{a}</option>)}
            </Select>
          )}
        </Field>
        <Field label={checksumRequired ? "Image checksum" : "Image checksum (optional)"} hint={checksumHint} error={errors.checksum}>
          {(p) => (
            <TextInput {...p} value={form.checksum} onChange={(e) => onChange("checksum", e.target.value)}
              required={checksumRequired} spellCheck={false} autoComplete="off" className="font-mono" />
          )}
        </Field>
      </div>
      {showDownloadSource && (
        <Field label="Image download source" hint="How the deploy agent gets the image (instance_info/image_download_source)." error={errors.image_download_source}>
          {(p) => (
            <Select {...p} value={form.image_download_source} onChange={(e) => onChange("image_download_source", e.target.value)}>
              <option value="">Default (the node&apos;s driver_info, else Ingot&apos;s setting)</option>
              <option value="http">http: the machine downloads the image from its URL</option>
              <option value="local">local: Ingot caches the image and serves it</option>
            </Select>
          )}
        </Field>
      )}
    </>
  );
}
