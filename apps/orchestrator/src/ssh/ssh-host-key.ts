import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ssh2 from 'ssh2';

// The SSH gateway's host key: made once, then read from the same file on every start, so a
// learner's client never warns that the host key changed after a restart.

export interface HostKey {
  /** The private key in OpenSSH format, as ssh2's server takes it. */
  privateKey: string;
  /** `SHA256:…`, as `ssh-keygen -l` and OpenSSH's first-connection prompt show it. */
  fingerprint: string;
}

export class HostKeyError extends Error {
  readonly code = 'ssh_host_key_invalid';
}

/** Reads the host key at `file`, making an ed25519 key there first when there is none. */
export async function loadHostKey(file: string): Promise<HostKey> {
  const privateKey = (await readExisting(file)) ?? (await create(file));
  const parsed = ssh2.utils.parseKey(privateKey);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error) {
    throw new HostKeyError(`${file} is not an SSH private key: ${key instanceof Error ? key.message : 'empty'}`);
  }
  return { privateKey, fingerprint: fingerprintOf(key.getPublicSSH()) };
}

/** OpenSSH's SHA256 fingerprint of a public key blob (base64 without padding). */
export function fingerprintOf(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

async function readExisting(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Writes a new key next to `file` and links it into place: link() fails when the name exists,
 * so of two processes starting at once (replicas, parallel tests) one key wins and the other
 * process reads that one; nobody ever reads a half-written file.
 */
async function create(file: string): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const { private: privateKey } = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'playground ssh gateway' });
  await writeFile(temporary, privateKey, { mode: 0o600 });
  try {
    await link(temporary, file);
    return privateKey;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readFile(file, 'utf8');
  } finally {
    await unlink(temporary);
  }
}
