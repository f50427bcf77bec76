// npm run build: dist/index.js + dist/index.d.ts (TypeScript), dist/satchel-client.min.js (esbuild, browser ES module).
import { execFileSync } from 'node:child_process';
import { rmSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const here = new URL('..', import.meta.url).pathname;
rmSync(here + 'dist', { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', here + 'tsconfig.json'], { stdio: 'inherit' });
await build({
  entryPoints: [here + 'src/index.ts'],
  outfile: here + 'dist/satchel-client.min.js',
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022', // browsers from 2022 on (class fields): smaller than es2020
  external: ['ws'], // never loaded in a browser: the native WebSocket is used there
  legalComments: 'none',
});
const min = readFileSync(here + 'dist/satchel-client.min.js');
console.log(`dist/satchel-client.min.js: ${min.length} bytes, ${gzipSync(min, { level: 9 }).length} bytes gzipped`);
