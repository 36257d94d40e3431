// Which pages may start sessions. A browser always sends Origin on a cross-site POST, so a
// page elsewhere cannot make visitors' browsers open sessions (each counted against the
// visitor's address) unless the operator allowed its origin. No Origin at all means no
// browser page is involved (curl, a server): those stay allowed and are rate-limited like
// any client.

export type OriginVerdict =
  /** No Origin header: not a browser page. */
  | { kind: 'none' }
  /** The playground's own pages. */
  | { kind: 'own' }
  /** An allowed foreign origin (an embed): counted against its own per-origin limits. */
  | { kind: 'allowed'; origin: string }
  | { kind: 'refused'; origin: string };

/** `anyOrigin` (EMBED_ORIGINS=*): every foreign origin is allowed, each still counted on its own. */
export function createOriginPolicy(publicOrigin: string, allowedOrigins: readonly string[], anyOrigin = false) {
  const allowed = new Set(allowedOrigins.map((origin) => origin.toLowerCase()));
  const own = publicOrigin.toLowerCase();

  return function judge(header: string | string[] | undefined): OriginVerdict {
    if (header === undefined) return { kind: 'none' };
    // Browsers send one Origin; several (or "null", from sandboxed frames and file: pages) are not a page we know.
    const origin = (Array.isArray(header) ? header.join(',') : header).trim().toLowerCase();
    if (origin === own) return { kind: 'own' };
    if (allowed.has(origin)) return { kind: 'allowed', origin };
    // "null" (sandboxed frames, file: pages) is no origin anyone can be held to, even under `*`.
    if (anyOrigin && origin !== '' && origin !== 'null' && !origin.includes(',')) return { kind: 'allowed', origin };
    return { kind: 'refused', origin };
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
