// The client's test scenarios, run twice against real servers: by Node (test/node.test.mjs, on dist/index.js)
// and in headless Chromium (test/browser.test.mjs, on the browser bundle dist/satchel-client.min.js).
// Plain JavaScript without Node modules, so that it runs in both.
//
// Each scenario gets { lib, server, ctl, browser, secret }: lib is the client module, server(name) resolves with
// the URL of a real server of that name (started on first use), ctl(action, name) pauses, resumes, stops, kills,
// starts or restarts one.

function fail(m) {
  throw new Error(m);
}
const str = (v) => JSON.stringify(v);
function eq(actual, expected, what = 'value') {
  if (str(actual) !== str(expected)) fail(`${what}: expected ${str(expected)}, got ${str(actual)}`);
}
function ok(v, what) {
  if (!v) fail(what);
}
async function rejects(promise, what) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  fail(`${what}: expected a rejection`);
}
/** Awaits a rejection with a SatchelError of this status. */
async function rejectsWith(lib, promise, st, status, command, what = command) {
  const e = await rejects(promise, what);
  ok(e instanceof lib.SatchelError, `${what}: not a SatchelError: ${e && e.stack}`);
  ok(e instanceof Error, `${what}: not an Error`);
  eq([e.st, e.status, e.command], [st, status, command], `${what}: st, status, command`);
  ok(typeof e.m === 'string' && e.m.length > 0, `${what}: no m`);
  ok(e.message.includes(status), `${what}: message without the status name: ${e.message}`);
  return e;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves with the next event of that name, or fails after ms. */
function next(client, event, ms = 30000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} event within ${ms} ms`)), ms);
    const f = (x) => {
      clearTimeout(t);
      client.off(event, f);
      resolve(x);
    };
    client.on(event, f);
  });
}
async function until(what, cond, ms = 20000) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) fail(`${what} did not happen within ${ms} ms`);
    await sleep(20);
  }
}
const unique = () => Math.random().toString(36).slice(2, 10);
const FAST = { minDelayMs: 50, maxDelayMs: 400 };

export const scenarios = [
  ['sessions: create, every data command, info, exists, end', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'), { timeoutMs: 10000 });
    try {
      const s = await c.newSession({ expiry: { duration: 600, extendOnGet: true } });
      ok(typeof s.token === 'string' && s.token.length === 22, `token ${s.token}`);
      eq(await s.set({ user: 'bob', basket: [{ sku: 17, n: 2 }] }), undefined, 'set');
      eq(await s.get(['user', 'basket']), { user: 'bob', basket: [{ sku: 17, n: 2 }] }, 'get');
      eq(await s.get('user'), { user: 'bob' }, 'get one key');
      eq(await s.get(['missing']), {}, 'get missing');
      await s.add({ user: 'eve', total: 35.9 });
      eq(await s.get(['user', 'total']), { user: 'bob', total: 35.9 }, 'add keeps existing keys');
      eq(await s.contains(['total', 'nope', 'user']), ['total', 'user'], 'contains');
      eq(await s.count(), 3, 'count');
      eq(await s.keys(), ['user', 'basket', 'total'], 'keys');
      await s.remove('basket');
      eq(await s.keys(), ['user', 'total'], 'keys after remove');
      eq(await s.clearSet({ a: 1, b: 2 }), 2, 'clearSet removed');
      eq(await s.keys(), ['a', 'b'], 'keys after clearSet');
      eq(await s.clear(), 2, 'clear');
      eq(await s.count(), 0, 'count after clear');
      const info = await s.info();
      eq([info.tkn, info.keyCnt, info.shared, info.expires], [s.token, 0, false, true], 'info');
      eq([info.expiry.duration, info.expiry.extendOnGet, info.expiry.deleteSession], [600, true, false], 'info.expiry');
      ok(info.expiry.remaining > 0 && info.expiry.remaining <= 600, `remaining ${info.expiry.remaining}`);
      ok(!('st' in info), 'info carries no st');
      eq(await s.exists(), true, 'exists');
      const named = await c.newSession({ name: 'basket of bob' });
      eq(named.name, 'basket of bob', 'name of a labelled session');
      eq((await named.info()).name, 'basket of bob', 'info.name');
      eq(await c.sessionsExist([s.token, 'AAAAAAAAAAAAAAAAAAAAAA', named.token]), [s.token, named.token], 'sessionsExist');
      await s.end();
      eq(await s.exists(), false, 'exists after end');
      await rejectsWith(lib, s.get('a'), 100, 'SessionNotExist', 'SH_GET');
      await named.end();
      const again = c.session(named.token);
      await rejectsWith(lib, again.count(), 100, 'SessionNotExist', 'SH_COUNT');
      const total = await c.sessionsInfo();
      ok(typeof total.totalSessions === 'number' && typeof total.totalKeys === 'number', str(total));
    } finally {
      c.close();
    }
  }],

  ['values come back exactly as stored', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'));
    try {
      const s = await c.newSession();
      const values = {
        '': 'empty key',
        str: 'héllo "quoted" \\ \n\t ☃ 😀',
        int: -42,
        float: 1.5e-7,
        big: 12345678901234,
        t: true,
        f: false,
        nil: null,
        arr: [1, 'two', [3], { four: 4 }],
        obj: { nested: { deeper: [null, { tkn: 123 }] }, tkn: 'x' },
        tkn: 7,
      };
      await s.set(values);
      eq(await s.get(Object.keys(values)), values, 'round trip');
      await c.kv.set({ tkn: 5, x: { tkn: 9007199254740993 } });
      const kv = await c.kv.get(['tkn', 'x']);
      ok(kv.tkn === 5 && typeof kv.x.tkn === 'number', `stored tkn members stay numbers: ${str(kv)}`);
      await c.kv.remove(['tkn', 'x']);
      await s.end();
    } finally {
      c.close();
    }
  }],

  ['shared sessions: newShared, openShared, session objects from tokens', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'));
    try {
      const name = 'cart-' + unique();
      const a = await c.newShared(name, { expiry: { duration: 60, deleteSession: true } });
      eq(a.name, name, 'name');
      const b = await c.openShared(name);
      eq([b.token, b.name], [a.token, name], 'openShared finds the same session');
      await a.set({ n: 1 });
      eq(await b.get('n'), { n: 1 }, 'data through the other object');
      eq(await c.session(a.token).get('n'), { n: 1 }, 'data through session(token)');
      const info = await b.info();
      eq([info.shared, info.expires, info.expiry.deleteSession], [true, true, true], 'info');
      await rejectsWith(lib, c.newShared(name), 103, 'SessionNewFail', 'SH_NEW', 'shared name in use');
      await rejectsWith(lib, c.openShared('nobody-' + unique()), 102, 'SessionOpenFail', 'SH_OPEN');
      await b.end();
      await rejectsWith(lib, c.openShared(name), 102, 'SessionOpenFail', 'SH_OPEN', 'after end');
      const again = await c.newShared(name);
      eq(again.token, a.token, 'a shared token is a function of its name');
      await again.end();
    } finally {
      c.close();
    }
  }],

  ['global key space: every kv command', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'));
    try {
      const p = 'kv-' + unique() + '-';
      await c.kv.clear();
      await c.kv.set({ [p + 'a']: 1, [p + 'b']: { x: [1, 2] } });
      eq(await c.kv.get([p + 'a', p + 'b', p + 'zz']), { [p + 'a']: 1, [p + 'b']: { x: [1, 2] } }, 'get');
      await c.kv.add({ [p + 'a']: 9, [p + 'c']: 'c' });
      eq(await c.kv.get([p + 'a', p + 'c']), { [p + 'a']: 1, [p + 'c']: 'c' }, 'add');
      eq(await c.kv.contains([p + 'c', p + 'zz', p + 'a']), [p + 'c', p + 'a'], 'contains');
      eq(await c.kv.count(), 3, 'count');
      eq(await c.kv.keys(), [p + 'a', p + 'b', p + 'c'], 'keys');
      await c.kv.remove([p + 'a']);
      eq(await c.kv.count(), 2, 'count after remove');
      eq(await c.kv.clearSet({ [p + 'd']: 4 }), 2, 'clearSet');
      eq(await c.kv.keys(), [p + 'd'], 'keys after clearSet');
      eq(await c.kv.clear(), 1, 'clear');
    } finally {
      c.close();
    }
  }],

  ['save and load: sessions and the key space', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'), { timeoutMs: 20000 });
    try {
      const name = 'ds' + unique();
      const s = await c.newSession({ name: 'saved' });
      await s.set({ a: 1 });
      const saved = await c.saveSessions(name, [s.token]);
      eq(saved.name, name, 'saveSessions name');
      ok(typeof saved.duration === 'number' && !('st' in saved), str(saved));
      await s.end();
      const loaded = await c.loadSessions(name);
      eq([loaded.name, loaded.sessions, loaded.keys], [name, 1, 1], 'loadSessions');
      eq(await s.get('a'), { a: 1 }, 'the loaded session is back');
      await s.end();
      await c.kv.set({ kvsaved: 'yes' });
      eq((await c.kv.save(name + 'kv')).name, name + 'kv', 'kv.save');
      await c.kv.remove('kvsaved');
      const kvLoaded = await c.kv.load(name + 'kv');
      eq([kvLoaded.name, kvLoaded.keys, kvLoaded.sessions], [name + 'kv', 1, 0], 'kv.load');
      eq(await c.kv.get('kvsaved'), { kvsaved: 'yes' }, 'loaded key');
      await c.kv.remove('kvsaved');
      await rejectsWith(lib, c.kv.load(name), 142, 'LoadError', 'KV_LOAD', 'session dataset through KV_LOAD');
      await rejectsWith(lib, c.loadSessions('nothing-' + unique()), 142, 'LoadError', 'SH_LOAD');
      await rejectsWith(lib, c.kv.save('../escape'), 42, 'ValueSize', 'KV_SAVE');
    } finally {
      c.close();
    }
  }],

  ['serverInfo and send: any command, resolving with the _RSP body', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'));
    try {
      const info = await c.serverInfo();
      ok(typeof info.serverVersion === 'string' && info.persistEnabled === true, str(info));
      eq(info.tokenFormat, 'string', 'tokenFormat');
      const raw = await c.send('SV_INFO', {});
      eq([raw.st, raw.serverVersion], [1, info.serverVersion], 'raw SV_INFO body');
      const created = await c.send('SH_NEW', { name: 'raw' });
      eq([created.st, created.name, typeof created.tkn], [1, 'raw', 'string'], 'raw SH_NEW');
      eq((await c.send('SH_END', { tkn: created.tkn })).tkn, created.tkn, 'raw SH_END echoes tkn');
      await rejectsWith(lib, c.send('NOPE', {}), 10, 'CommandNotExist', 'NOPE');
      await rejectsWith(lib, c.send('SH_GET', { tkn: 'AAAAAAAAAAAAAAAAAAAAAA' }), 26, 'ParamMissing', 'SH_GET');
    } finally {
      c.close();
    }
  }],

  ['errors reject with SatchelError: st, m, command, status name', async ({ lib, server }) => {
    const url = await server('main');
    const c = await lib.connect(url, FAST);
    try {
      const s = await c.newSession();
      const e = await rejectsWith(lib, c.session('AAAAAAAAAAAAAAAAAAAAAA').get('x'), 100, 'SessionNotExist', 'SH_GET');
      eq(e.name, 'SatchelError', 'name');
      ok(e.message.startsWith('SH_GET: SessionNotExist (100)'), e.message);
      await rejectsWith(lib, c.session('not a token').count(), 101, 'SessionTokenInvalid', 'SH_COUNT');
      await rejectsWith(lib, s.remove([]), 42, 'ValueSize', 'SH_RMV');
      await rejectsWith(lib, c.newSession({ expiry: { duration: -1 } }), 41, 'ValueTypeInvalid', 'SH_NEW');
      await rejectsWith(lib, c.send('SH_SET', { tkn: s.token, keys: [] }), 41, 'ValueTypeInvalid', 'SH_SET');
      eq(lib.statusName(170), 'LimitExceeded', 'statusName');
      eq(await s.count(), 0, 'the connection is still usable after errors');
      // a message over limits.maxMessageBytes: the server closes with 1009; that request fails, the client reconnects
      const reconnected = next(c, 'connect');
      const big = await rejects(s.set({ big: 'x'.repeat(1100000) }), 'oversized message');
      ok(big instanceof lib.SatchelError, String(big));
      eq([big.status, big.command, big.sent], ['ConnectionLost', 'SH_SET', true], 'oversized message error');
      ok(big.code === 1009 || big.code === 1006, `close code ${big.code}`);
      await reconnected;
      eq(await s.count(), 0, 'usable after reconnecting');
      await s.end();
      ok(await rejects(lib.connect('not a url'), 'bad url'), 'bad url rejects');
    } finally {
      c.close();
    }
  }],

  ['pipelining: 10,000 requests in flight on one connection, matched in order', async ({ lib, server }) => {
    const c = await lib.connect(await server('main'), { timeoutMs: 60000 });
    try {
      const s = await c.newSession();
      const bogus = c.session('AAAAAAAAAAAAAAAAAAAAAA');
      const sets = [], gets = [], errors = [];
      for (let i = 0; i < 5000; i++) {
        sets.push(s.set({ ['k' + i]: { i, v: 'v' + i } }));
        gets.push(s.get(['k' + i]));
        if (i % 500 === 0) errors.push(bogus.get('k').then(() => 'resolved', (e) => e.st));
      }
      ok(c.pending >= 10000, `pending ${c.pending}`);
      await Promise.all(sets);
      const got = await Promise.all(gets);
      for (let i = 0; i < 5000; i++) eq(got[i], { ['k' + i]: { i, v: 'v' + i } }, 'get ' + i);
      eq(await Promise.all(errors), new Array(10).fill(100), 'errors in between');
      eq(await s.count(), 5000, 'count');
      eq(c.pending, 0, 'pending');
      await s.end();
    } finally {
      c.close();
    }
  }],

  ['timeout fails one request and keeps the order of the rest', async ({ lib, server, ctl }) => {
    const c = await lib.connect(await server('main'), { timeoutMs: 800 });
    try {
      const s = await c.newSession();
      await ctl('pause', 'main');
      let a, b;
      try {
        a = rejects(s.set({ x: 'first' }), 'set while paused');
        b = rejects(s.get('x'), 'get while paused');
        const ea = await a, eb = await b;
        for (const [e, cmd] of [[ea, 'SH_SET'], [eb, 'SH_GET']]) {
          ok(e instanceof lib.SatchelError, String(e));
          eq([e.st, e.status, e.command, e.sent], [0, 'Timeout', cmd, true], 'timeout error');
        }
      } finally {
        await ctl('resume', 'main');
      }
      // the timed-out SET was carried out; its late response and the GET's are skipped, not given to these
      eq(await s.set({ y: 'second' }), undefined, 'set after the timeouts');
      eq(await s.get(['x', 'y']), { x: 'first', y: 'second' }, 'each request gets its own response');
      eq(c.pending, 0, 'pending');
      await s.end();
    } finally {
      c.close();
    }
  }],

  ['backpressure: requests wait in the client while the socket buffer is full', async ({ lib, server, ctl }) => {
    const c = await lib.connect(await server('main'), { timeoutMs: 60000, highWaterBytes: 64 * 1024 });
    try {
      const s = await c.newSession();
      const value = 'v'.repeat(100000);
      const all = [];
      await ctl('pause', 'main');
      try {
        for (let i = 0; i < 200; i++) all.push(s.set({ [i % 2 ? 'odd' : 'even']: value + i }));
        await until('requests held back in the client', () => c.queued > 0);
        ok(c.pending === 200, `pending ${c.pending}`);
      } finally {
        await ctl('resume', 'main');
      }
      await Promise.all(all);
      eq(c.queued, 0, 'queued after the drain');
      const got = await s.get(['even', 'odd']);
      ok(got.even === value + 198 && got.odd === value + 199, 'last writes win, in order');
      await s.end();
    } finally {
      c.close();
    }
  }],

  ['reconnect after a graceful server restart (close 1001); queued requests go out after it', async ({ lib, server, ctl }) => {
    const url = await server('restart');
    const c = await lib.connect(url, { ...FAST, timeoutMs: 60000 }); // a JVM may take a while to restart
    try {
      const s = await c.newSession();
      await s.set({ a: 1 });
      const disconnected = next(c, 'disconnect');
      const reconnected = next(c, 'connect');
      const restarting = ctl('restart', 'restart');
      const d = await disconnected;
      eq([d.url, d.code], [url, 1001], 'disconnect event');
      const meanwhile = c.serverInfo(); // made while disconnected: sent once connected again
      eq((await reconnected).url, url, 'connect event');
      await restarting;
      ok(typeof (await meanwhile).serverVersion === 'string', 'request made while disconnected');
      await rejectsWith(lib, s.get('a'), 100, 'SessionNotExist', 'SH_GET', 'data of the old server process');
      const s2 = await c.newSession();
      await s2.set({ b: 2 });
      eq(await s2.get('b'), { b: 2 }, 'new session');
      ok(c.connected, 'connected');
    } finally {
      c.close();
    }
  }],

  ['network drop: requests in flight fail with ConnectionLost, never resent; reconnects', async ({ lib, server, ctl }) => {
    const url = await server('restart');
    const c = await lib.connect(url, { ...FAST, timeoutMs: 60000 });
    const errors = [];
    c.on('error', (e) => errors.push(e));
    try {
      const s = await c.newSession();
      await ctl('pause', 'restart');
      const inFlight = rejects(s.set({ lost: true }), 'set in flight');
      await sleep(100);
      const disconnected = next(c, 'disconnect');
      await ctl('kill', 'restart');
      const d = await disconnected;
      ok(d.code === 1006, `close code ${d.code}`);
      const e = await inFlight;
      ok(e instanceof lib.SatchelError, String(e));
      eq([e.st, e.status, e.command, e.sent, e.code], [0, 'ConnectionLost', 'SH_SET', true, 1006], 'in-flight error');
      ok(/may have been carried out/.test(e.message), e.message);
      await until('a failed reconnection attempt', () => errors.length > 0);
      eq(errors[0].status, 'ConnectFailed', 'error event');
      const reconnected = next(c, 'connect');
      await ctl('start', 'restart');
      await reconnected;
      const s2 = await c.newSession();
      eq(await s2.count(), 0, 'works after reconnecting');
    } finally {
      c.close();
    }
  }],

  ['failover between two servers, in order', async ({ lib, server, ctl }) => {
    const a = await server('failA');
    const b = await server('failB');
    const c = await lib.connect([a, b], FAST);
    try {
      eq(c.url, a, 'first URL first');
      await (await c.newSession()).set({ on: 'a' });
      const moved = next(c, 'connect');
      await ctl('stop', 'failA');
      eq((await moved).url, b, 'fails over to the second server');
      eq(c.url, b, 'url');
      const s = await c.newSession();
      await s.set({ on: 'b' });
      eq(await s.get('on'), { on: 'b' }, 'works on the second server');
      const c2 = await lib.connect([a, b], FAST);
      eq(c2.url, b, 'connect skips a server that is down');
      c2.close();
      await ctl('start', 'failA');
      const back = next(c, 'connect');
      await ctl('stop', 'failB');
      eq((await back).url, a, 'and back to the first');
      await ctl('stop', 'failA');
      const e = await rejectsWith(lib, lib.connect([a, b], { timeoutMs: 5000 }), 0, 'ConnectFailed', '', 'no server up');
      ok(e.m.includes(a) && e.m.includes(b), e.m);
    } finally {
      c.close();
    }
  }],

  ['auth: the token is presented on the handshake', async ({ lib, server, secret, browser }) => {
    const url = await server('auth');
    const none = await rejectsWith(lib, lib.connect(url), 0, 'ConnectFailed', '', 'no token');
    if (!browser) ok(/401/.test(none.m), `Node reports the HTTP status: ${none.m}`);
    await rejectsWith(lib, lib.connect(url, { token: 'wrong' }), 0, 'ConnectFailed', '', 'wrong token');
    const c = await lib.connect(url, { token: secret });
    try {
      const s = await c.newSession();
      await s.set({ a: 1 });
      eq(await s.get('a'), { a: 1 }, 'authenticated');
    } finally {
      c.close();
    }
  }],

  ['uint64 tokens beyond 2^53 keep every digit', async ({ lib, server }) => {
    const c = await lib.connect(await server('uint64'));
    try {
      eq((await c.serverInfo()).tokenFormat, 'uint64', 'tokenFormat');
      const sessions = await Promise.all(Array.from({ length: 16 }, () => c.newSession()));
      const tokens = sessions.map((s) => s.token);
      for (const t of tokens) ok(/^[1-9][0-9]{0,19}$/.test(t), `token ${t}`);
      const bigOnes = tokens.filter((t) => BigInt(t) > 2n ** 53n);
      ok(bigOnes.length > 0, `some token above 2^53: ${tokens}`);
      ok(bigOnes.some((t) => String(Number(t)) !== t), 'JSON.parse would have lost digits of these');
      for (const s of sessions) {
        await s.set({ mine: s.token, tkn: 42 });
        eq(await s.get(['mine', 'tkn']), { mine: s.token, tkn: 42 }, 'data of ' + s.token);
        eq((await s.info()).tkn, s.token, 'SH_INFO tkn');
      }
      eq(await c.sessionsExist(tokens), tokens, 'sessionsExist');
      eq((await c.send('SH_INFO', { tkn: tokens[0] })).tkn, tokens[0], 'raw send keeps the digits');
      eq(await c.session(BigInt(tokens[0])).get('mine'), { mine: tokens[0] }, 'session(bigint)');
      let typeError = null;
      try {
        c.session(Number(bigOnes[0]));
      } catch (e) {
        typeError = e;
      }
      ok(typeError instanceof TypeError, 'an unsafe number token is refused');
      const shared = await c.newShared('u64-' + unique());
      eq((await c.openShared(shared.name)).token, shared.token, 'shared uint64 token');
      await shared.end();
      await rejectsWith(lib, c.kv.save('x'), 14, 'CommandDisabled', 'KV_SAVE', 'saves disabled');
      await rejectsWith(lib, c.session('0').get('a'), 101, 'SessionTokenInvalid', 'SH_GET', 'token 0');
      for (const s of sessions) await s.end(); // SH_END echoes the token as a number: parsed as a string
      await rejectsWith(lib, sessions[0].get('mine'), 100, 'SessionNotExist', 'SH_GET', 'after end');
      // the parser only quotes tkn members of the response body, nothing inside strings or stored values
      const parsed = lib.parseResponse('{"SH_INFO_RSP":{"st":1,"name":"\\"tkn\\":5","tkn" : 18446744073709551615,' +
        '"keys":{"tkn":18446744073709551615}}}');
      eq(parsed.SH_INFO_RSP.tkn, '18446744073709551615', 'tkn');
      eq(parsed.SH_INFO_RSP.name, '"tkn":5', 'name');
      eq(typeof parsed.SH_INFO_RSP.keys.tkn, 'number', 'stored tkn');
    } finally {
      c.close();
    }
  }],

  ['quit waits for answers; close fails what is pending; endAllSessions', async ({ lib, server, ctl }) => {
    const url = await server('main');
    const c = await lib.connect(url);
    const s = await c.newSession();
    const many = [];
    for (let i = 0; i < 100; i++) many.push(s.set({ ['q' + i]: i }));
    const disconnected = next(c, 'disconnect');
    const quitting = c.quit();
    await rejectsWith(lib, s.count(), 0, 'ClientClosed', 'SH_COUNT', 'request after quit');
    await quitting;
    await Promise.all(many);
    eq((await disconnected).code, 1000, 'disconnect code');
    ok(!c.connected, 'not connected after quit');
    const e = await rejectsWith(lib, s.count(), 0, 'ClientClosed', 'SH_COUNT', 'after close');
    eq(e.sent, false, 'never sent');

    const c2 = await lib.connect(url, { timeoutMs: 30000 });
    const s2 = c2.session(s.token);
    eq(await s2.count(), 100, 'every request before quit was answered');
    await ctl('pause', 'main');
    let pending;
    try {
      pending = rejects(s2.count(), 'pending at close');
      c2.close();
    } finally {
      await ctl('resume', 'main');
    }
    const closed = await pending;
    eq([closed.status, closed.sent], ['ClientClosed', true], 'closed while in flight');

    const c3 = await lib.connect(url);
    try {
      ok((await c3.endAllSessions()) >= 1, 'endAllSessions');
      eq((await c3.sessionsInfo()).totalSessions, 0, 'no session left');
    } finally {
      c3.close();
    }
  }],
];
