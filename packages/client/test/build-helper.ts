/**
 * Makes sure packages/client/dist is built and not older than src, for the tests that exercise
 * the built package (CLI, packaging). Root `npm test` builds first, so this is usually a no-op;
 * it matters when a test file is run on its own. A lock directory keeps two test files that run
 * in parallel from building over each other.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = join(CLIENT_DIR, '..', '..');
const MARKERS = ['dist/esm/cli/main.js', 'dist/cjs/index.js', 'dist/cjs/package.json'].map((p) =>
  join(CLIENT_DIR, p),
);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!MARKERS.every((m) => existsSync(m))) return false;
  const built = Math.min(...MARKERS.map((m) => statSync(m).mtimeMs));
  const configs = ['package.json', 'tsconfig.build.json', 'tsconfig.cli.json', 'tsconfig.cjs.json'].map(
    (f) => statSync(join(CLIENT_DIR, f)).mtimeMs,
  );
  return built >= Math.max(newestMtime(join(CLIENT_DIR, 'src')), ...configs);
}

export async function ensureBuilt(): Promise<void> {
  if (upToDate()) return;
  const lock = join(CLIENT_DIR, '.build-lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock left behind by a killed test run must not block forever.
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (!upToDate())
      execFileSync('npm', ['run', 'build', '-w', 'packages/client'], { cwd: REPO_DIR, stdio: 'ignore' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
