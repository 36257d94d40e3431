import { createServer } from 'node:net';
import path from 'node:path';
import { launchBrowser } from '../../test/support/browser.ts';
import { startTestStack } from '../../test/support/test-stack.ts';
import { REPO_ROOT } from '../launcher/stack.ts';
import { shootLab } from './lab-shots.ts';
import { shootLearner } from './learner-shots.ts';
import { optimisePng } from './optimise-png.ts';
import { createShooter } from './shooter.ts';

// `npm run screenshots`: the README's pictures, taken of the real product. It starts the same
// private stack the browser tests use (its own database, Redis, node id, free ports; the web
// edge and Next), drives Debian's Chromium through each feature with real commands, writes
// docs/screenshots/*.png at one viewport, shrinks them, and tears everything down the way the
// tests do (every session ended, nothing left on the engine). Run `npm test` (or
// infra/prepare.sh) once first: it builds the web app the stack serves.

async function main(): Promise<void> {
  const startedAt = Date.now();
  // The SSH line in the pictures shows the default port when this machine has it free.
  const env: Record<string, string> = (await portIsFree(2222)) ? { SSH_PORT: '2222' } : {};
  const stack = await startTestStack('screenshots', { web: true, env });
  const files: string[] = [];
  try {
    const browser = await launchBrowser();
    try {
      const shooter = await createShooter(stack, browser);
      try {
        await shootLearner(shooter);
        await shootLab(shooter);
      } finally {
        files.push(...shooter.taken);
      }
    } finally {
      await browser.close();
    }
  } finally {
    await stack.teardown();
  }
  let total = 0;
  for (const file of files) {
    const { before, after } = await optimisePng(file);
    total += after;
    console.log(`[screenshots] ${path.relative(REPO_ROOT, file)}: ${kib(before)} → ${kib(after)}`);
  }
  console.log(`[screenshots] ${files.length} pictures, ${kib(total)} in all, in ${Math.round((Date.now() - startedAt) / 1000)} s`);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

main().catch((error: unknown) => {
  console.error('[screenshots] failed:', error);
  process.exitCode = 1;
});
