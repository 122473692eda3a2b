// Trait names (reference §2.5): CUSTOM_ plus upper-case letters, digits and _, or a name from the
// standard namespaces (os-traits). Deploy template names, and runbook names below 1.112, are traits.

export const CUSTOM_TRAIT_RE = /^CUSTOM_[A-Z0-9_]+$/;
export const STANDARD_TRAIT_RE = /^(COMPUTE|HW|MISC|NET|OWNER|STORAGE)_[A-Z0-9_]+$/;
export const MAX_TRAIT_LENGTH = 255;

export function isTraitName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_TRAIT_LENGTH && (CUSTOM_TRAIT_RE.test(name) || STANDARD_TRAIT_RE.test(name));
}

export function isValidTrait(t: unknown): t is string {
  return typeof t === "string" && isTraitName(t);
}
