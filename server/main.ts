// Entry point of `npm start`: config, start, signals.
import { ConfigError, loadConfig, type Config } from './config.js';
import { startApp } from './app.js';
import { createLogger } from './logger.js';

const SHUTDOWN_DEADLINE_MS = 10_000;
/** sysexits.h EX_CONFIG: the configuration is wrong, retrying will not help. */
const EXIT_CONFIG = 78;

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`voxreply: ${error.message}\n`);
  process.exit(EXIT_CONFIG);
}

const logger = createLogger(config.logLevel);

try {
  const app = await startApp(config, logger);
  logger.info({ url: config.publicUrl, listening: app.url }, 'voxreply is up');
  process.stdout.write(`\nVoxreply is running: ${config.publicUrl}/app\n\n`);

  const shutdown = (signal: NodeJS.Signals): void => {
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting anyway');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
} catch (error) {
  logger.fatal({ err: error }, 'voxreply could not start');
  process.exit(1);
}
