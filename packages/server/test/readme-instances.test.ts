// The server README's "Run several instances", run as written: the setup block, each `serve`
// line as its own process (each on a free port), then the probe block with its expected output,
// on a fresh PostgreSQL schema and a temp pepper file.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './helpers.js';
import { PostgresTestSchemas } from './storage-postgres.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const README = join(ROOT, 'packages', 'server', 'README.md');

/** The `sh` blocks of the README section `heading`, in order. */
function shellBlocks(heading: string): string[] {
  const readme = readFileSync(README, 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `the server README has a "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  return [...readme.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** Starts one README command in its own process group; resolves once it prints `listening on`. */
function startInstance(command: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn('bash', ['-c', `exec ${command}`], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (/listening on /.test(output)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`"${command}" exited (${code}) before listening:\n${output}`)),
    );
  });
}

describe('server README: Run several instances', () => {
  const schemas = new PostgresTestSchemas();
  const dir = mkdtempSync(join(tmpdir(), 'smscx-readme-instances-'));
  const instances: ChildProcess[] = [];

  before(() => schemas.check());
  after(async () => {
    for (const instance of instances) {
      if (instance.exitCode !== null || instance.signalCode !== null) continue;
      const exited = once(instance, 'exit');
      process.kill(-instance.pid!, 'SIGTERM');
      await exited;
    }
    await schemas.dropAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs as written: two instances, and a change made once is in force on both', async () => {
    const [setup, serve, probe] = shellBlocks('Run several instances');
    assert.ok(setup !== undefined && serve !== undefined && probe !== undefined, 'three sh blocks');
    const url = schemas.freshUrl();
    const pepper = join(dir, 'pepper');
    const localize = (script: string): string =>
      script
        .replace(/SMSCX_DB='[^']*'/, `SMSCX_DB='${url}'`)
        .replace('SMSCX_PEPPER_FILE=./data/pepper', `SMSCX_PEPPER_FILE=${pepper}`);

    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', localize(setup)], { cwd: ROOT });
    const created = JSON.parse(stdout.slice(stdout.indexOf('{'))) as {
      application_id: string;
      application_secret: string;
    };

    const env = { ...process.env, SMSCX_DB: url, SMSCX_PEPPER_FILE: pepper };
    const ports = new Map<string, number>();
    for (const line of serve.split('\n').filter((text) => text.trim() !== '')) {
      const readmePort = /--port (\d+)/.exec(line)?.[1];
      assert.ok(readmePort !== undefined, line);
      const port = await freePort();
      ports.set(readmePort, port);
      instances.push(await startInstance(line.replace(`--port ${readmePort}`, `--port ${port}`), env));
    }
    assert.equal(instances.length, 2);

    let script = probe
      .replaceAll('<application id>', created.application_id)
      .replaceAll('<application secret>', created.application_secret);
    for (const [readmePort, port] of ports)
      script = script.replaceAll(`127.0.0.1:${readmePort}`, `127.0.0.1:${port}`);
    const result = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env });
    const expected = probe
      .split('\n')
      .filter((line) => line.startsWith('# '))
      .map((line) => line.slice(2));
    assert.deepEqual(
      result.stdout.split('\n').filter((line) => line !== ''),
      expected,
    );
  });
});
