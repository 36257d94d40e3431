import { timingSafeEqual } from 'node:crypto';

// The one comparison of a presented secret (admin token, agent token MAC) against the
// expected one. Constant-time in the content, so response timing does not reveal how much
// of a guess was right; a length mismatch is refused at once (lengths are not secret here).
// Kept out of the package index, like node-token.ts, so browser bundles never pull in node:crypto.

/** True when `given` is exactly `expected`. */
export function secretEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
