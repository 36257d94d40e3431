import type { NextConfig } from 'next';

const nextConfig: NextConfig = {
  // The workspace packages ship TypeScript sources (no build step).
  transpilePackages: ['@playground/contracts', '@playground/labs'],
  // Socket.IO and port URLs need their exact paths (`/socket.io/`, `/ports/x/80/`).
  skipTrailingSlashRedirect: true,
  poweredByHeader: false,
  reactStrictMode: true,
};

export default nextConfig;
