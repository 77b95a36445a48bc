// Marks a CommonJS build folder as such, so Node and TypeScript read its .js and .d.ts as CJS
// even though the package itself is "type": "module".
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) throw new Error('usage: mark-cjs.mjs <dir>');
writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);
