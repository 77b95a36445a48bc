import { parseArgs } from 'node:util';
import { ConfigError, resolveConfig } from '../config.js';
import { startServer } from '../server.js';
import { UsageError } from './errors.js';
import { USAGE } from './usage.js';

/** `smscx-oauth-server serve [options]`: runs until SIGTERM/SIGINT. */
export async function runServe(args: string[]): Promise<void> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig({
      host: values.host,
      port: values.port,
      db: values.db,
      rateLimit: values['rate-limit'],
      authFailureLimit: values['auth-failure-limit'],
      logLevel: values['log-level'],
      issuer: values.issuer,
      audience: values.audience,
      scopes: values['scope-catalogue'],
      pepperFile: values['pepper-file'],
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  await startServer(config, { handleSignals: true });
}

function parse(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      db: { type: 'string' },
      'rate-limit': { type: 'string' },
      'auth-failure-limit': { type: 'string' },
      'log-level': { type: 'string' },
      issuer: { type: 'string' },
      audience: { type: 'string' },
      'scope-catalogue': { type: 'string' },
      'pepper-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
