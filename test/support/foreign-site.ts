import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

// Another site's page on loopback (a port of its own, so a different origin from the
// playground's): what an embed or a Play with Docker tutorial runs on. Its port is known before
// the stack starts (EMBED_ORIGINS needs it); the page it serves is set once the stack's URL is.

export interface ForeignSite {
  server: Server;
  origin: string;
  /** Serves this HTML from now on, at every path. */
  show(html: string): void;
}

export async function startForeignSite(): Promise<ForeignSite> {
  let page = '';
  const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(page));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    show: (html) => {
      page = html;
    },
  };
}
