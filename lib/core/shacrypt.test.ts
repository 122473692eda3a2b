import { describe, expect, it } from "vitest";
import { sha256Crypt, sha256CryptSalt } from "./shacrypt.ts";

describe("SHA-256 crypt", () => {
  it("matches crypt(3) (Drepper's test vector and Python's crypt.crypt)", () => {
    expect(sha256Crypt("Hello world!", "saltstring")).toBe("$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5");
    // Longer than one digest (the 32-byte boundaries) and non-ASCII, from Python 3.11 crypt.crypt.
    expect(sha256Crypt("z".repeat(33), "Ab3./Zz9qQ0xXyY1")).toBe("$5$Ab3./Zz9qQ0xXyY1$PGOPqhdmHK5tgmXD8pfCiS1PqIpHyi6TQijPKQZ0JV0");
    expect(sha256Crypt("pässwörd", "Ab3./Zz9qQ0xXyY1")).toBe("$5$Ab3./Zz9qQ0xXyY1$plC0292/8J8ounRH1YgyaFWRJ0O0IzwRVIcmXxVaCb3");
  });
  it("makes 16-character salts from the crypt alphabet", () => {
    expect(sha256CryptSalt()).toMatch(/^[./0-9A-Za-z]{16}$/);
    expect(sha256Crypt("pw")).toMatch(/^\$5\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{43}$/);
  });
});
