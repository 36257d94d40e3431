import { buildOrchestrator } from './app.ts';
import { parseConfig } from './config.ts';
import { createLogger } from './logger.ts';

// Entry point: parse config (refuse to start on bad config), build, listen, and shut down
// gracefully on SIGTERM/SIGINT without ending any session.

let config;
try {
  config = parseConfig(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(78);
}

const logger = createLogger(config.LOG_LEVEL);
const orchestrator = await buildOrchestrator(config, logger);
await orchestrator.listen();

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'orchestrator.stopping');
  const force = setTimeout(() => {
    logger.error('orchestrator.stop_timeout');
    process.exit(1);
  }, 10_000);
  force.unref();
  await orchestrator.close();
  logger.info('orchestrator.stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
