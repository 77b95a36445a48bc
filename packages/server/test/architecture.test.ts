// The source layout the server README describes: one folder per concern, and folders that
// import each other without cycles, so a change in one folder never loops back into itself.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const TOP = '(top)';
const IMPORT = /(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g;

/** The folder of a path relative to src (`(top)` for app.ts, server.ts, ...). */
function folderOf(path: string): string {
  return path.includes(sep) ? path.slice(0, path.indexOf(sep)) : TOP;
}

/** Folder → the other folders its files import. */
function folderImports(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const from = folderOf(relative(SRC, file));
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(relative(SRC, normalize(join(dirname(file), specifier!))));
      if (to === from) continue;
      if (!edges.has(from)) edges.set(from, new Set());
      edges.get(from)!.add(to);
    }
  }
  return edges;
}

/** One cycle through the folder graph, or undefined when there is none. */
function findCycle(edges: Map<string, Set<string>>): string[] | undefined {
  const done = new Set<string>();
  const visit = (folder: string, path: string[]): string[] | undefined => {
    const seen = path.indexOf(folder);
    if (seen !== -1) return [...path.slice(seen), folder];
    if (done.has(folder)) return undefined;
    for (const next of edges.get(folder) ?? []) {
      const cycle = visit(next, [...path, folder]);
      if (cycle !== undefined) return cycle;
    }
    done.add(folder);
    return undefined;
  };
  for (const folder of edges.keys()) {
    const cycle = visit(folder, []);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

describe('source layout', () => {
  it('has no import cycle between folders', () => {
    const edges = folderImports();
    assert.ok(edges.size > 5, 'the folders were read');
    assert.equal(findCycle(edges)?.join(' → '), undefined);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    const edges = new Map([
      ['routes', new Set(['http'])],
      ['http', new Set(['cache'])],
      ['cache', new Set(['routes'])],
    ]);
    assert.deepEqual(findCycle(edges), ['routes', 'http', 'cache', 'routes']);
  });

  it('keeps the wire contract and the storage contract at the bottom', () => {
    const edges = folderImports();
    assert.deepEqual([...(edges.get('contract') ?? [])], []);
    assert.deepEqual([...(edges.get('storage') ?? [])], ['contract']);
    assert.deepEqual([...(edges.get('verify') ?? [])], ['contract'], 'the verifier library ships on its own');
  });
});
