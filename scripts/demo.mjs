#!/usr/bin/env node
// `npm run demo`: the main job end to end on the embedded default (SQLite, ./data/demo.db; its own
// file so that a later `npm start` still makes its first start on ./data/smscx-oauth.db).
//
//  1. make sure an application named `demo` exists in ./data/demo.db and give it a
//     fresh secret (secrets are shown once, so a rerun rotates instead of reusing one);
//  2. start `smscx-oauth-server serve` on a free loopback port;
//  3. get a token with the SDK's `smscx token` CLI, exactly as a user would;
//  4. stop the server with SIGTERM and check that it exits 0.
//
// Everything goes through the two published command lines, so this script is also a smoke
// test of the commands the README promises. The secret is passed through the environment,
// never printed.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const serverBin = join(root, 'packages/server/bin/smscx-oauth-server.js');
const clientBin = join(root, 'packages/client/bin/smscx.js');
const db = process.env.SMSCX_DB ?? join(root, 'data/demo.db');
const scope = process.argv[2] ?? 'sms groups';

function admin(...args) {
  const out = execFileSync(process.execPath, [serverBin, ...args, '--db', db, '--json'], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function waitForListening(child) {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk) => {
      seen += chunk;
      const match = /listening on (\S+)/.exec(seen);
      if (match) {
        child.stdout.off('data', onData);
        resolve(match[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited early (code ${code}):\n${seen}`)));
  });
}

const existing = admin('apps', 'list').find((app) => app.name === 'demo');
const credentials = existing
  ? admin('apps', 'rotate-secret', existing.application_id)
  : admin('apps', 'create', '--name', 'demo');
console.log(`application "demo": ${credentials.application_id} (${existing ? 'secret rotated' : 'created'})`);

const port = await freePort();
const server = spawn(
  process.execPath,
  [serverBin, 'serve', '--host', '127.0.0.1', '--port', String(port), '--db', db],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let exitCode = 1;
try {
  const url = await waitForListening(server);
  console.log(`server: ${url} (database ${db})`);
  console.log(`$ smscx token --host ${url} --scope "${scope}"`);
  execFileSync(process.execPath, [clientBin, 'token', '--host', url, '--scope', scope], {
    stdio: 'inherit',
    env: {
      ...process.env,
      SMSCX_APPLICATION_ID: credentials.application_id,
      SMSCX_APPLICATION_SECRET: credentials.application_secret,
    },
  });
  exitCode = 0;
} finally {
  const exited = new Promise((resolve) => server.once('exit', (code) => resolve(code)));
  server.kill('SIGTERM');
  const serverCode = await exited;
  console.log(`server stopped (exit code ${serverCode})`);
  if (serverCode !== 0) exitCode = 1;
}
process.exit(exitCode);
