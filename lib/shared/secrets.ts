// Secrets are never shown: password-like values in driver_info, instance_info, step args, ...
// always read "******" (Ironic's show_password / show_instance_secrets default to deny).
// Pure (lib/shared): the API masks with it, the dashboard knows which fields to treat as secret.

export const MASK = "******";

const SECRET_KEY = /(password|passwd|secret|token|_key$|^key$|kg_key|auth_key|priv_key|credentials)/i;
/** instance_info keys that are always masked even though their names look harmless. */
export const ALWAYS_MASKED_INSTANCE_KEYS: ReadonlySet<string> = new Set(["configdrive", "image_url"]);

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** A deep copy with every secret-looking key's value replaced by the mask. */
export function maskSecrets<T>(value: T, extraKeys: ReadonlySet<string> = new Set()): T {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v, extraKeys)) as T;
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if ((isSecretKey(k) || extraKeys.has(k)) && v !== null && v !== undefined && v !== "") out[k] = MASK;
    else out[k] = maskSecrets(v, extraKeys);
  }
  return out as T;
}

/**
 * The value found at `path` (keys from the document's root) as the masked document shows it: the
 * mask when the path runs through a secret key (its value is masked as a whole), else the value
 * with its own secrets masked.
 */
export function maskSecretsAt(path: readonly string[], value: unknown, extraKeys: ReadonlySet<string> = new Set()): unknown {
  const insideSecret = path.some((k) => isSecretKey(k) || extraKeys.has(k));
  if (insideSecret && value !== null && value !== undefined && value !== "") return MASK;
  return maskSecrets(value, extraKeys);
}

export function maskInstanceInfo<T>(value: T): T {
  return maskSecrets(value, ALWAYS_MASKED_INSTANCE_KEYS);
}
