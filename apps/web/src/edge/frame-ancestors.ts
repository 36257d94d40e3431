// Which sites may show our pages in a frame (CSP frame-ancestors). The embed pages
// (/embed/…) may be framed by the origins in EMBED_ORIGINS (`*` for any); every other page
// only by the playground itself, so no site can frame a learner's session page to trick them.

export function frameAncestorsFor(path: string, embedOrigins: { any: boolean; origins: readonly string[] }): string {
  if (!path.startsWith('/embed/')) return "frame-ancestors 'self'";
  if (embedOrigins.any) return 'frame-ancestors *';
  return `frame-ancestors ${["'self'", ...embedOrigins.origins].join(' ')}`;
}
