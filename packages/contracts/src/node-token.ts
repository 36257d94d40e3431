import { createHmac } from 'node:crypto';
import { secretEqual } from './secret-equal.ts';

// Per-node agent credentials: `<generation>.<HMAC-SHA256(AGENT_SECRET, nodeId, generation)>`.
// Why derived, not stored: the orchestrator keeps no token table that could leak, the
// launcher (which holds AGENT_SECRET) gives each agent its own token without a round trip,
// and revoking one node is one integer in Postgres (its current generation): a token of an
// older generation, or of another node id, never verifies. Kept out of the package index so
// that browser bundles importing the contracts never pull in node:crypto.

const LABEL = 'playground-node-agent';
const TOKEN = /^(\d{1,9})\.([A-Za-z0-9_-]{43})$/;

function mac(secret: string, nodeId: string, generation: number): string {
  return createHmac('sha256', secret).update(`${LABEL}\0${nodeId}\0${generation}`).digest('base64url');
}

/** The token of `nodeId` at `generation` (0 until an operator first rotates it). */
export function deriveNodeToken(secret: string, nodeId: string, generation = 0): string {
  return `${generation}.${mac(secret, nodeId, generation)}`;
}

/** True when `token` is exactly the token of `nodeId` at `generation`; constant-time. */
export function verifyNodeToken(secret: string, nodeId: string, generation: number, token: string): boolean {
  const match = TOKEN.exec(token);
  if (!match || Number(match[1]) !== generation) return false;
  return secretEqual(match[2]!, mac(secret, nodeId, generation));
}
