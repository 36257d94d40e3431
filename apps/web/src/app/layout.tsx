import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import '@xterm/xterm/css/xterm.css';
import './globals.css';

export const metadata: Metadata = {
  title: { default: 'Playground — Docker in your browser', template: '%s · Playground' },
  description: 'Start a throwaway Linux host with Docker in seconds, type into a real terminal in your browser and open your app’s ports.',
};

export const viewport: Viewport = { themeColor: '#0a0e13', colorScheme: 'dark' };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
