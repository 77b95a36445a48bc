// The README's promises, run as written: `npm run demo` (its script) and the whole-loop block.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('npm run demo', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smscx-demo-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('creates the demo application, prints a token from the smscx CLI, stops the server cleanly', async () => {
    const env = { ...process.env, SMSCX_DB: join(dir, 'demo.db') };
    const first = await run(process.execPath, [join(root, 'scripts/demo.mjs')], { env });
    assert.match(first.stdout, /application "demo": [0-9a-f]{40} \(created\)/);
    const json = first.stdout.slice(first.stdout.indexOf('{'), first.stdout.lastIndexOf('}') + 1);
    const token = JSON.parse(json) as Record<string, unknown>;
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.scope, 'sms groups');
    assert.match(String(token.access_token), /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(first.stdout, /server stopped \(exit code 0\)/);

    // A rerun cannot reuse a secret that was shown once: it rotates it and still gets a token.
    const second = await run(process.execPath, [join(root, 'scripts/demo.mjs')], { env });
    assert.match(second.stdout, /\(secret rotated\)/);
    assert.match(second.stdout, /"access_token"/);
  });
});
