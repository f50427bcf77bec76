// The scenarios in Node, on dist/index.js (run `npm run build` first; `npm test` does).
import { after, test } from 'node:test';
import * as lib from '../dist/index.js';
import { scenarios } from './scenarios.mjs';
import { AUTH_SECRET, Servers } from './servers.mjs';

const servers = new Servers();
after(() => servers.stopAll());

const env = {
  lib,
  server: (name) => servers.url(name),
  ctl: (action, name) => servers.ctl(action, name),
  secret: AUTH_SECRET,
  browser: false,
};

for (const [name, run] of scenarios) test(`node: ${name}`, { timeout: 90000 }, () => run(env));
