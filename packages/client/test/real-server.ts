/**
 * The REAL token server (smscx-oauth-server), started in this process on port 0 with a temp
 * SQLite file through the server package's public exports, with three applications.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import {
  type ConfigInput,
  createApplication,
  loadOrCreatePepper,
  openSqliteStorage,
  resolveConfig,
  startServer,
} from 'smscx-oauth-server';

export interface Credentials {
  id: string;
  secret: string;
}

export interface TokenServer {
  url: string;
  /** The SQLite file, for the server's admin CLI. */
  db: string;
  /** An active application allowed every scope, tokens valid 1 day. */
  active: Credentials;
  /** A disabled application (403 access_denied). */
  disabled: Credentials;
  /** An active application whose tokens never expire (expires_in 0). */
  forever: Credentials;
  close(): Promise<void>;
}

/** Starts the real server in-process: temp folder, SQLite file, three applications. */
export async function startTokenServer(input: ConfigInput = {}): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-client-e2e-'));
  // An empty environment: SMSCX_* variables of whoever runs the tests must not leak in.
  const config = resolveConfig(
    { host: '127.0.0.1', port: '0', db: join(dir, 'smscx-oauth.db'), logLevel: 'silent', ...input },
    {},
  );
  const storage = openSqliteStorage(config.dbPath);
  const pepper = loadOrCreatePepper(config.pepperFile);
  const make = async (name: string, tokenExpiration: '1d' | 'never') => {
    const { application, secret } = await createApplication(storage, pepper, {
      name,
      scopes: config.scopes,
      tokenExpiration,
    });
    return { id: application.id, secret };
  };
  let credentials: Pick<TokenServer, 'active' | 'disabled' | 'forever'>;
  try {
    const active = await make('e2e-active', '1d');
    const disabled = await make('e2e-disabled', '1d');
    const forever = await make('e2e-forever', 'never');
    await storage.updateApplication(disabled.id, { status: 'disabled' });
    credentials = { active, disabled, forever };
  } finally {
    await storage.close();
  }
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startServer(config, { out: discard });
  return {
    url: server.url,
    db: config.dbPath,
    ...credentials,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
