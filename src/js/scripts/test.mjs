// npm test: builds dist/ when it is missing or older than src/, then runs the Node tests and the browser tests
// (node --test) against real servers. See test/servers.mjs for SATCHEL_SERVER_CMD and the default jar.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const newest = (dir) => Math.max(...readdirSync(root + dir).map((f) => statSync(root + dir + '/' + f).mtimeMs));
const built = ['dist/index.js', 'dist/satchel-client.min.js'].map((f) => root + f);
if (!built.every(existsSync) || Math.min(...built.map((f) => statSync(f).mtimeMs)) < newest('src')) {
  const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const only = process.argv[2]; // "node" or "browser" runs one of the two
const files = ['test/node.test.mjs', 'test/browser.test.mjs'].filter((f) => !only || f.includes(only));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...files], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
