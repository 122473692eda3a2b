// SHA-256-crypt ("$5$salt$hash", Ulrich Drepper's SHA-crypt as in glibc's crypt(3)): how Ironic
// hashes a rescue password (crypt.crypt with [conductor]rescue_password_hash_algorithm = sha256)
// before handing it to the rescue ramdisk, which writes it to /etc/shadow.
import { createHash, randomInt } from "node:crypto";

const ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ROUNDS = 5000; // the default, left out of the string
/** The digest bytes in the order the encoding takes them, three at a time (the last group two). */
const ORDER = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29],
];

const sha256 = (...parts: Buffer[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `source` repeated and cut to `length` bytes. */
function stretch(source: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += source.length) source.copy(out, i, 0, Math.min(source.length, length - i));
  return out;
}

function encode24(b2: number, b1: number, b0: number, chars: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = "";
  for (let i = 0; i < chars; i++) {
    out += ALPHABET[w & 0x3f];
    w >>= 6;
  }
  return out;
}

/** A random 16-character salt (Python's crypt.mksalt(METHOD_SHA256)). */
export function sha256CryptSalt(): string {
  let s = "";
  for (let i = 0; i < 16; i++) s += ALPHABET[randomInt(ALPHABET.length)];
  return s;
}

/** crypt(3) with a "$5$" salt: "$5$<salt>$<43 characters>". */
export function sha256Crypt(password: string, salt = sha256CryptSalt()): string {
  const key = Buffer.from(password, "utf8");
  const s = Buffer.from(salt.slice(0, 16), "utf8");
  const b = sha256(key, s, key);
  const a = createHash("sha256").update(key).update(s);
  let n = key.length;
  for (; n > 32; n -= 32) a.update(b);
  a.update(b.subarray(0, n));
  for (let i = key.length; i > 0; i >>= 1) a.update(i & 1 ? b : key);
  const da = a.digest();
  const p = stretch(sha256(...Array<Buffer>(key.length).fill(key)), key.length);
  const sb = stretch(sha256(...Array<Buffer>(16 + da[0]).fill(s)), s.length);
  let c = da;
  for (let r = 0; r < ROUNDS; r++) {
    const h = createHash("sha256");
    h.update(r & 1 ? p : c);
    if (r % 3) h.update(sb);
    if (r % 7) h.update(p);
    h.update(r & 1 ? c : p);
    c = h.digest();
  }
  const encoded = ORDER.map(([x, y, z]) => encode24(c[x], c[y], c[z], 4)).join("") + encode24(0, c[31], c[30], 3);
  return `$5$${s.toString("utf8")}$${encoded}`;
}
