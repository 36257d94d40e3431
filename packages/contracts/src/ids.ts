import { randomBytes } from 'node:crypto';
import { z } from 'zod';

// RFC 4648 base32, lower-cased: URL-safe, DNS-label-safe and unambiguous to read aloud.
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** Session ids are the capability to a session: 160 random bits, 32 base32 characters. */
export const SESSION_ID_LENGTH = 32;
/** Instance ids appear in public port hosts: 130 random bits, 26 base32 characters. */
export const INSTANCE_ID_LENGTH = 26;

export function newSessionId(): string {
  return base32(randomBytes(20));
}

export function newInstanceId(): string {
  return base32(randomBytes(17)).slice(0, INSTANCE_ID_LENGTH);
}

/** Ids of records users never type (instructors, workshops, seats, tokens): 100 random bits. */
export function newRecordId(): string {
  return base32(randomBytes(13)).slice(0, 20);
}

/** An instructor API token's secret part: 256 random bits. */
export function newTokenSecret(): string {
  return base32(randomBytes(32));
}

/** A code from `alphabet`, `length` characters, each drawn without bias. */
export function newCode(alphabet: string, length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // Reject the top of the range so every character is equally likely.
      if (byte < 256 - (256 % alphabet.length) && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

export const SessionId = z.string().regex(new RegExp(`^[a-z2-7]{${SESSION_ID_LENGTH}}$`), 'not a session id');
export const InstanceId = z.string().regex(new RegExp(`^[a-z2-7]{${INSTANCE_ID_LENGTH}}$`), 'not an instance id');

/** Node ids are chosen by the operator (NODE_ID); they name queues, labels and records. */
export const NodeId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'node ids are lower-case letters, digits and dashes');

/** Hostnames an instance may be given: a DNS label, starting with a letter. */
export const INSTANCE_HOSTNAME = /^[a-z][a-z0-9-]{0,62}$/;
