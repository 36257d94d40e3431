import type { NextConfig } from 'next';
import createNextIntlPlugin from 'next-intl/plugin';

// next-intl reads each request's language and messages from src/i18n/request.ts.
const withNextIntl = createNextIntlPlugin('./src/i18n/request.ts');

const nextConfig: NextConfig = {
  // The workspace packages ship TypeScript sources (no build step).
  transpilePackages: ['@playground/contracts', '@playground/labs'],
  // Socket.IO and port URLs need their exact paths (`/socket.io/`, `/ports/x/80/`).
  skipTrailingSlashRedirect: true,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default withNextIntl(nextConfig);
