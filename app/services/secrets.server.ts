import { createHash, randomBytes } from "node:crypto";

/**
 * Bearer secrets (session cookies, API tokens, password-reset links): 32 random bytes, handed
 * out once; the database keeps only their SHA-256, so a copy of it lets nobody in. A fast hash
 * is enough here, unlike for passwords: the secret has 256 bits of entropy, nothing to guess.
 */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The stored form of a secret: its SHA-256 in hex. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}
