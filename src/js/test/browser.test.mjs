// The scenarios in headless Chromium (the system's /usr/bin/chromium, or $CHROMIUM_PATH) driven by
// playwright-core, on the browser bundle dist/satchel-client.min.js loaded as an ES module by a local page.
// The page asks this process (exposed functions) to start, pause, stop or restart the real servers.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { scenarios } from './scenarios.mjs';
import { AUTH_SECRET, Servers } from './servers.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// Without these, Chromium waits for network services that a closed network never answers.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

const files = {
  '/': ['text/html', () => `<!doctype html><meta charset="utf-8"><title>satchel-client browser test</title>
<script type="module">
import * as lib from './satchel-client.min.js';
import { scenarios } from './scenarios.mjs';
const byName = new Map(scenarios);
window.runScenario = async (name) => {
  await byName.get(name)({ lib, server: window.satchelServer, ctl: window.satchelCtl, secret: window.satchelSecret,
    browser: true });
  return 'ok';
};
window.ready = true;
</script>`],
  '/satchel-client.min.js': ['text/javascript', () => readFileSync(new URL('../dist/satchel-client.min.js', import.meta.url))],
  '/scenarios.mjs': ['text/javascript', () => readFileSync(new URL('./scenarios.mjs', import.meta.url))],
};

const servers = new Servers();
let http, browser, page;
const pageErrors = [];

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with "apt-get install -y chromium" ` +
      '(or set CHROMIUM_PATH); scripts/test installs it');
  }
  http = createServer((req, res) => {
    const f = files[req.url];
    if (!f) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f[0], 'cache-control': 'no-store' }).end(f[1]());
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true, timeout: 60000 });
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
  await page.exposeFunction('satchelServer', (name) => servers.url(name));
  await page.exposeFunction('satchelCtl', (action, name) => servers.ctl(action, name));
  await page.addInitScript((secret) => { window.satchelSecret = secret; }, AUTH_SECRET);
  await page.goto(`http://127.0.0.1:${http.address().port}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
});

after(async () => {
  await browser?.close();
  http?.close();
  await servers.stopAll();
});

for (const [name, _] of scenarios) {
  test(`browser: ${name}`, { timeout: 90000 }, async () => {
    try {
      await page.evaluate((n) => window.runScenario(n), name);
    } catch (e) {
      throw new Error(`${e.message}${pageErrors.length ? '\npage errors: ' + pageErrors.join('\n') : ''}`);
    }
  });
}
