// Builds the admin web page into dist/admin-ui/: the TypeScript bundled and minified into one
// ES module, the stylesheet and the icon, each named with a hash of its content
// (assets/<name>-<hash>.<ext>, served with a year-long cache), and index.html naming them.
// Run by the package's `npm run build` (after `tsc`), so `npm ci` at the root builds the page.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'admin-ui');
const assets = join(out, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src', 'main.ts'), join(here, 'src', 'styles.css')],
  outdir: assets,
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

/** The built file of the entry point `src/<entry>`, as a path relative to the page. */
function output(entry) {
  for (const [file, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint !== undefined && basename(meta.entryPoint) === entry) {
      return `admin/assets/${basename(file)}`;
    }
  }
  throw new Error(`esbuild wrote nothing for ${entry}`);
}

const icon = readFileSync(join(here, 'src', 'icon.svg'));
const iconName = `icon-${createHash('sha256').update(icon).digest('hex').slice(0, 8)}.svg`;
writeFileSync(join(assets, iconName), icon);

// Relative URLs (the page is /admin): found behind a proxy that adds a path prefix too.
const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('{{script}}', output('main.ts'))
  .replace('{{style}}', output('styles.css'))
  .replace('{{icon}}', `admin/assets/${iconName}`);
writeFileSync(join(out, 'index.html'), html);
console.log(`admin page built into ${relative(process.cwd(), out) || '.'}`);
