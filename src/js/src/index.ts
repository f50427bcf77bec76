/**
 * satchel-client: a client for the Satchel session cache server (JSON over WebSocket) for browsers and Node.
 *
 * One Client is one WebSocket connection with any number of requests in flight: the server answers in request
 * order, so each response settles the oldest request still waiting. See README.md, section "JavaScript".
 */

/** Any JSON value. Values come back exactly as the server stored them (numbers as JSON.parse reads them). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A session's expiry (seconds). */
export interface Expiry {
  duration: number;
  deleteSession?: boolean;
  extendOnSetAdd?: boolean;
  extendOnGet?: boolean;
}

export interface ConnectOptions {
  /** The server's `server.authSecret`: sent as `Authorization: Bearer` from Node, as `?token=` from a browser. */
  token?: string;
  /** Time a request may wait for its response before it fails with status `Timeout` (default 5000; 0 = never). */
  timeoutMs?: number;
  /** Time one connection attempt may take (default: timeoutMs, or 10000 when that is 0). */
  connectTimeoutMs?: number;
  /** Reconnect after a lost connection (default true). */
  reconnect?: boolean;
  /** Backoff between reconnection attempts: doubles from minDelayMs up to maxDelayMs, with jitter (100, 5000). */
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Unsent bytes on the socket above which new requests wait in the client (default 1 MiB). */
  highWaterBytes?: number;
  /** A WebSocket constructor to use instead of the default (`ws` in Node, the native one elsewhere). */
  WebSocket?: any;
}

export interface SessionInfo {
  tkn: string;
  keyCnt: number;
  shared: boolean;
  expires: boolean;
  name?: string;
  expiry?: Required<Expiry> & { remaining: number };
}

export interface ServerInfo {
  serverVersion: string;
  persistEnabled: boolean;
  tokenFormat?: 'string' | 'uint64';
  [key: string]: Json | undefined;
}

export interface SaveResult {
  name: string;
  duration: number;
}

export interface LoadResult {
  name: string;
  sessions: number;
  keys: number;
  duration?: number;
}

export interface ConnectEvent {
  url: string;
}

export interface DisconnectEvent {
  url: string;
  code: number;
  reason: string;
}

export interface ReconnectingEvent {
  url: string;
  attempt: number;
  delayMs: number;
}

type Keys = { [key: string]: Json };
type Names = string | string[];

const STATUS: { [st: number]: string } = {
  1: 'Ok', 2: 'OpCodeInvalid', 3: 'JsonInvalid', 10: 'CommandNotExist', 13: 'CommandSyntax', 14: 'CommandDisabled',
  22: 'NotExist', 26: 'ParamMissing', 41: 'ValueTypeInvalid', 42: 'ValueSize', 100: 'SessionNotExist',
  101: 'SessionTokenInvalid', 102: 'SessionOpenFail', 103: 'SessionNewFail', 121: 'SaveComplete',
  122: 'SaveDirWriteFail', 123: 'SaveError', 141: 'LoadComplete', 142: 'LoadError', 170: 'LimitExceeded',
  1000: 'Unknown',
};

/**
 * A failed request or connection. Server errors carry the response's `st` and `m` and the status name
 * (`SessionNotExist`...); errors found by the client have `st` 0 and one of the status names `Timeout`,
 * `ConnectionLost`, `ClientClosed`, `ConnectFailed`, `ProtocolError`.
 */
export class SatchelError extends Error {
  /** The status number (0 for client-side errors). */
  readonly st: number;
  /** The server's message, or the client's explanation. */
  readonly m: string;
  /** The command that failed ('' for connection errors). */
  readonly command: string;
  /** The status name: `SessionNotExist`, ..., or `Timeout`, `ConnectionLost`, `ClientClosed`, `ConnectFailed`, `ProtocolError`. */
  readonly status: string;
  /** Whether the request had been written to a socket: if so, the server may have carried it out. */
  readonly sent: boolean;
  /** For `ConnectionLost`: the WebSocket close code. */
  readonly code?: number;

  constructor(st: number, m: string, command: string, status?: string, sent = true, code?: number) {
    status ||= STATUS[st] || 'Status' + st;
    super((command ? command + ': ' : '') + status + (st ? ' (' + st + ')' : '') + (m ? ': ' + m : ''));
    this.name = 'SatchelError';
    this.st = st;
    this.m = m;
    this.command = command;
    this.status = status;
    this.sent = sent;
    this.code = code;
  }
}

/** The name of a status number (`100` -> `SessionNotExist`). */
export const statusName = (st: number): string => STATUS[st] || 'Status' + st;

interface Pending {
  c: string; // command
  f?: (body: any) => any; // turns the response body into the result
  t: string; // request text
  d: number; // deadline (ms since the epoch)
  r: (body: any) => void;
  j: (e: SatchelError) => void;
  x?: boolean; // settled (answered, timed out or failed): a response that still comes is dropped
}

/**
 * Turns every `"tkn":<digits>` member of the response body (depth 2: `{"X_RSP":{"tkn":123}}`) into a string, so
 * that uint64 tokens above 2^53 keep every digit. Strings and stored values are left as they are.
 */
function quoteTokens(t: string): string {
  let out = '', from = 0, depth = 0;
  for (let i = 0; i < t.length; i++) {
    const ch = t.charCodeAt(i);
    if (ch == 34) {
      const s = i;
      while (++i < t.length && t.charCodeAt(i) != 34) if (t.charCodeAt(i) == 92) i++;
      if (depth == 2 && t.slice(s, i + 1) == '"tkn"') {
        const m = /^\s*:\s*(\d+)/.exec(t.slice(i + 1, i + 40));
        if (m) {
          const e = i + 1 + m[0].length;
          out += t.slice(from, e - m[1].length) + '"' + m[1] + '"';
          from = e;
          i = e - 1;
        }
      }
    } else if (ch == 123 || ch == 91) depth++;
    else if (ch == 125 || ch == 93) depth--;
  }
  return out + t.slice(from);
}

/** Parses a response text; `tkn` numbers become strings (see quoteTokens). */
export const parseResponse = (t: string): any => JSON.parse(t.indexOf('"tkn"') < 0 ? t : quoteTokens(t));

const one = (k: Names) => (typeof k == 'string' ? [k] : k);
const nodeProcess = (globalThis as any).process;
const isNode = !!nodeProcess?.versions?.node;

const none = (): void => {};
const pick = (name: string) => (b: any) => b[name];
const keysOf = pick('keys');
const cnt = pick('cnt');
const rest = ({ st, ...r }: any) => r;
const json = JSON.stringify;

/** Data commands of a session (`SH_*`) or of the global key space (`KV_*`). */
export class Store {
  protected readonly c: Client;
  private readonly p: string;
  private readonly h: string;
  /** The session token ('' for the global key space). uint64 tokens are decimal strings. */
  readonly token: string;

  constructor(client: Client, prefix: string, token: string) {
    this.c = client;
    this.p = prefix;
    this.token = token;
    this.h = token ? '"tkn":' + json(token) : '';
  }

  /** Sends `{"<prefix><cmd>":{"tkn":..,<params>}}`; params is JSON text without braces. */
  protected q(cmd: string, f: (b: any) => any, params = ''): Promise<any> {
    const c = this.p + cmd;
    return this.c.req(c, '{"' + c + '":{' + this.h + (this.h && params && ',') + params + '}}', f);
  }

  /** Inserts or overwrites each member (`SET`). */
  set(keys: Keys): Promise<void> {
    return this.q('SET', none, '"keys":' + json(keys));
  }

  /** Inserts the members whose key is absent; existing keys are left alone (`ADD`). */
  add(keys: Keys): Promise<void> {
    return this.q('ADD', none, '"keys":' + json(keys));
  }

  /** The requested keys that exist, with their values (`GET`). */
  get<T = Keys>(keys: Names): Promise<T> {
    return this.q('GET', keysOf, '"keys":' + json(one(keys)));
  }

  /** Removes keys; absent ones are not an error (`RMV`). */
  remove(keys: Names): Promise<void> {
    return this.q('RMV', none, '"keys":' + json(one(keys)));
  }

  /** The given keys that exist, in request order (`CONTAINS`). */
  contains(keys: Names): Promise<string[]> {
    return this.q('CONTAINS', pick('contains'), '"keys":' + json(one(keys)));
  }

  /** The number of keys (`COUNT`). */
  count(): Promise<number> {
    return this.q('COUNT', cnt);
  }

  /** All keys in insertion order (`KEYS`). */
  keys(): Promise<string[]> {
    return this.q('KEYS', keysOf);
  }

  /** Removes every key; resolves with how many there were (`CLEAR`). */
  clear(): Promise<number> {
    return this.q('CLEAR', cnt);
  }

  /** Atomically removes every key, then sets these; resolves with how many were removed (`CLEAR_SET`). */
  clearSet(keys: Keys): Promise<number> {
    return this.q('CLEAR_SET', cnt, '"keys":' + json(keys));
  }
}

/** A session: its token, and its data commands. Sessions live on the server, not in the connection. */
export class Session extends Store {
  /** The session's name, when it has one and the server said so. */
  readonly name?: string;

  constructor(client: Client, token: string, name?: string) {
    super(client, 'SH_', token);
    this.name = name;
  }

  /** Ends the session and drops its data (`SH_END`). */
  end(): Promise<void> {
    return this.q('END', none);
  }

  /** Key count, shared flag and expiry (`SH_INFO`). */
  info(): Promise<SessionInfo> {
    return this.q('INFO', rest);
  }

  /** Whether the session is live (`SH_EXISTS`). */
  exists(): Promise<boolean> {
    return this.c.sessionsExist([this.token]).then((l) => l.length > 0);
  }
}

/** The global key space (`KV_*`), with its save and load. */
export class KeyValues extends Store {
  /** Saves every key as dataset `name` (`KV_SAVE`; needs persistence enabled on the server). */
  save(name: string): Promise<SaveResult> {
    return this.q('SAVE', rest, '"name":' + json(name));
  }

  /** Loads dataset `name`; loaded keys overwrite (`KV_LOAD`). */
  load(name: string): Promise<LoadResult> {
    return this.q('LOAD', rest, '"name":' + json(name));
  }
}

const tokenText = (t: string | number | bigint): string => {
  if (typeof t == 'number' && !Number.isSafeInteger(t)) throw new TypeError('token ' + t + ' lost precision: pass it as a string or bigint');
  return '' + t;
};

/** A connection to a Satchel server (or to the first reachable server of a list). Create it with connect(). */
export class Client {
  /** The global key space. */
  readonly kv: KeyValues;
  /** The server URL in use (or last used). */
  url = '';

  private readonly u: string[];
  private readonly o: ConnectOptions;
  private readonly ms: number;
  private readonly hw: number;
  private ws: any = null;
  private ctor: any;
  private q: (Pending | undefined)[] = []; // sent, waiting for their responses, from index h on
  private h = 0;
  private w: Pending[] = []; // not sent yet (no connection, or the socket's buffer is full)
  private e: { [event: string]: ((x: any) => void)[] } = {};
  private i = 0; // index of the URL in use
  private closed = 0; // 1: quit() called, no new requests; 2: closed
  private tm: any = 0; // timeout sweep timer
  private dt: any = 0; // drain poll timer
  private rt: any = 0; // reconnect timer
  private k = 0; // socket corked until the next tick (Node)

  /** Prefer connect(), which also opens the connection (open()). */
  constructor(urls: string | string[], options: ConnectOptions = {}) {
    this.u = one(urls);
    if (!this.u.length) throw new TypeError('no server URL');
    this.o = options;
    this.ms = options.timeoutMs ?? 5000;
    this.hw = options.highWaterBytes ?? 1 << 20;
    this.kv = new KeyValues(this, 'KV_', '');
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return !!this.ws;
  }

  /** Requests waiting for a response or for the connection. */
  get pending(): number {
    let n = 0;
    for (let i = this.h; i < this.q.length; i++) if (!this.q[i]!.x) n++;
    for (const p of this.w) if (!p.x) n++;
    return n;
  }

  /** Requests not sent yet: waiting for a connection, or for the socket's buffer to drain below highWaterBytes. */
  get queued(): number {
    let n = 0;
    for (const p of this.w) if (!p.x) n++;
    return n;
  }

  /** Listens to `connect`, `disconnect`, `reconnecting` and `error` (errors of reconnection attempts). */
  on(event: 'connect', f: (e: ConnectEvent) => void): this;
  on(event: 'disconnect', f: (e: DisconnectEvent) => void): this;
  on(event: 'reconnecting', f: (e: ReconnectingEvent) => void): this;
  on(event: 'error', f: (e: SatchelError) => void): this;
  on(event: string, f: (x: any) => void): this {
    (this.e[event] ||= []).push(f);
    return this;
  }

  off(event: string, f: (x: any) => void): this {
    const l = this.e[event];
    if (l) l.splice(l.indexOf(f) >>> 0, 1);
    return this;
  }

  private emit(event: string, x: any) {
    for (const f of (this.e[event] || []).slice()) f(x);
  }

  /** Sends any command and resolves with the body of its `_RSP`; rejects with SatchelError on an error status. */
  send(command: string, body: object = {}): Promise<any> {
    return this.req(command, '{' + json(command) + ':' + json(body) + '}');
  }

  /** @internal sends a request text */
  req(c: string, t: string, f?: (body: any) => any): Promise<any> {
    return new Promise((r, j) => {
      if (this.closed) return j(new SatchelError(0, 'the client is closed', c, 'ClientClosed', false));
      const p: Pending = { c, t, r, j, f, d: this.ms ? Date.now() + this.ms : 1 / 0 };
      if (this.ready() && !this.w.length) this.put(p);
      else this.wait(p);
      if (!this.tm && this.ms) this.tm = setTimeout(this.sweep, this.ms);
    });
  }

  /** Open (not closing: what is sent after the server's Close would be lost) and below the high-water mark. */
  private ready() {
    const s = this.ws;
    return s && s.readyState == 1 && s.bufferedAmount < this.hw;
  }

  private put(p: Pending) {
    const s = this.ws;
    const sock = s._socket;
    if (sock && !this.k) {
      // Node: requests sent in the same tick leave in one write
      this.k = 1;
      sock.cork();
      nodeProcess.nextTick(() => {
        this.k = 0;
        sock.uncork();
      });
    }
    s.send(p.t);
    this.q.push(p);
  }

  private wait(p: Pending) {
    this.w.push(p);
    if (!this.dt) this.dt = setTimeout(this.flush, 5);
  }

  private flush = () => {
    this.dt = 0;
    let i = 0;
    const w = this.w;
    for (; i < w.length && this.ready(); i++) if (!w[i].x) this.put(w[i]);
    this.w = w.slice(i);
    if (this.w.length && this.ws) this.dt = setTimeout(this.flush, 5);
  };

  private sweep = () => {
    this.tm = 0;
    const now = Date.now();
    let next = 0;
    const expire = (p: Pending | undefined, sent: boolean) => {
      if (!p || p.x) return 0;
      if (p.d > now) return (next = p.d);
      p.x = true;
      p.j(new SatchelError(0, sent ? 'no response within ' + this.ms + ' ms (it may still be carried out; its response will be skipped)' : 'not sent within ' + this.ms + ' ms (no connection, or the socket is full)', p.c, 'Timeout', sent));
      return 0;
    };
    for (let i = this.h; i < this.q.length && !expire(this.q[i], true); i++);
    if (!next) for (const p of this.w) if (expire(p, false)) break;
    if (next) this.tm = setTimeout(this.sweep, next - now + 1);
  };

  /** Resolves when connected to one of the URLs, trying each once, in order. */
  async open(): Promise<void> {
    if (this.ws) return;
    const errors: string[] = [];
    for (let n = 0; n < this.u.length; n++) {
      try {
        return await this.dial((this.i + n) % this.u.length);
      } catch (e: any) {
        errors.push(e.m || e.message);
      }
    }
    throw new SatchelError(0, errors.join('; '), '', 'ConnectFailed', false);
  }

  private async dial(i: number): Promise<void> {
    const url = this.u[i];
    const o = this.o;
    const ms = o.connectTimeoutMs ?? (this.ms || 10000);
    const WS = (this.ctor ||= o.WebSocket || (isNode ? (await import('ws')).default : globalThis.WebSocket));
    const header = isNode && !o.WebSocket;
    let target = url;
    if (o.token != null && !header) {
      const x = new URL(url);
      x.searchParams.set('token', o.token);
      target = '' + x;
    }
    return new Promise((resolve, reject) => {
      let why = '';
      const s = header
        ? new WS(target, { perMessageDeflate: false, skipUTF8Validation: true, handshakeTimeout: ms || undefined, headers: o.token != null ? { Authorization: 'Bearer ' + o.token } : {} })
        : new WS(target);
      const fail = (m: string) => {
        clearTimeout(t);
        s.onopen = s.onclose = null;
        try {
          s.close();
        } catch {}
        reject(new SatchelError(0, 'cannot connect to ' + url + ': ' + m, '', 'ConnectFailed', false));
      };
      const t = ms && setTimeout(() => fail('no connection within ' + ms + ' ms'), ms);
      s.onerror = (e: any) => (why = e.message || '');
      s.onclose = (e: any) => fail(why || 'closed (' + e.code + ')');
      s.onopen = () => {
        clearTimeout(t);
        if (this.closed > 1) return fail('client closed');
        this.i = i;
        this.url = url;
        this.ws = s;
        s.onclose = (e: any) => this.lost(s, e.code, e.reason);
        if (s.on) s.on('message', (d: any, bin: boolean) => s == this.ws && this.recv(bin ? null : d.toString()));
        else s.onmessage = (e: any) => s == this.ws && this.recv(typeof e.data == 'string' ? e.data : null);
        this.emit('connect', { url });
        this.flush();
        resolve();
      };
    });
  }

  private recv(t: string | null) {
    const p = this.q[this.h];
    if (!p) return this.fault('a response without a request');
    this.q[this.h++] = undefined;
    if (this.h > 4096 && this.h * 2 > this.q.length) {
      this.q = this.q.slice(this.h);
      this.h = 0;
    }
    if (p.x) return;
    p.x = true;
    // the common answer without data, {"<CMD>_RSP":{"st":1}}, needs no JSON.parse
    if (t && t.length == p.c.length + 17 && t.endsWith('_RSP":{"st":1}}') && t.startsWith(p.c, 2)) {
      const b = { st: 1 };
      return p.r(p.f ? p.f(b) : b);
    }
    let o: any, k: string | undefined;
    try {
      o = parseResponse(t!);
      for (k in o) break;
    } catch {}
    const b = o?.[k!];
    if (!b || typeof b.st != 'number' || (k != 'ERR' && k != p.c + '_RSP')) {
      p.j(new SatchelError(0, 'unexpected response ' + (t || '(binary)').slice(0, 200), p.c, 'ProtocolError'));
      return this.fault('responses out of step');
    }
    const st = b.st;
    if (st == 1 || st == 121 || st == 141) p.r(p.f ? p.f(b) : b);
    else p.j(new SatchelError(st, b.m || '', p.c));
  }

  /** The server broke the protocol: drop the connection (the requests in flight fail, then reconnect). */
  private fault(m: string) {
    const s = this.ws;
    this.emit('error', new SatchelError(0, m, '', 'ProtocolError'));
    s.close(1000, 'protocol error');
    this.lost(s, 1002, m);
  }

  private lost(s: any, code: number, reason: string) {
    if (s != this.ws) return;
    this.ws = null;
    const url = this.url;
    this.failAll(this.q, this.h, 'ConnectionLost', true, 'connection to ' + url + ' lost (' + code + (reason ? ' ' + reason : '') + ') before the response; the request may have been carried out', code);
    this.q = [];
    this.h = 0;
    this.emit('disconnect', { url, code, reason });
    if (this.closed > 1) return;
    if (this.o.reconnect === false) {
      this.failAll(this.w, 0, 'ConnectionLost', false, 'not sent: connection to ' + url + ' lost', code);
      this.w = [];
      this.closed = 2;
      return;
    }
    this.retry(0, (this.i + 1) % this.u.length);
  }

  private retry(attempt: number, i: number) {
    const d = Math.min(this.o.maxDelayMs ?? 5000, (this.o.minDelayMs ?? 100) * 2 ** Math.min(attempt, 20));
    const delayMs = Math.round(d / 2 + (Math.random() * d) / 2);
    this.emit('reconnecting', { url: this.u[i], attempt: attempt + 1, delayMs });
    this.rt = setTimeout(() => {
      this.rt = 0;
      if (this.closed < 2)
        this.dial(i).catch((e) => {
          this.emit('error', e);
          if (this.closed < 2) this.retry(attempt + 1, (i + 1) % this.u.length);
        });
    }, delayMs);
  }

  private failAll(l: (Pending | undefined)[], from: number, status: string, sent: boolean, m: string, code?: number) {
    for (let i = from; i < l.length; i++) {
      const p = l[i];
      if (p && !p.x) {
        p.x = true;
        p.j(new SatchelError(0, m, p.c, status, sent, code));
      }
    }
  }

  /**
   * Closes at once: requests in flight fail with `ClientClosed` (they may have been carried out), requests not
   * sent yet fail too and are never sent. No reconnection follows.
   */
  close(): void {
    if (this.closed > 1) return;
    this.closed = 2;
    clearTimeout(this.rt);
    clearTimeout(this.tm);
    clearTimeout(this.dt);
    const s = this.ws;
    this.failAll(this.q, this.h, 'ClientClosed', true, 'the client was closed before the response; the request may have been carried out');
    this.failAll(this.w, 0, 'ClientClosed', false, 'the client was closed before the request was sent');
    this.q = [];
    this.w = [];
    if (s) {
      this.ws = null;
      s.onclose = null;
      s.onerror = () => {};
      s.close(1000);
      this.emit('disconnect', { url: this.url, code: 1000, reason: 'client closed' });
    }
  }

  /** Refuses new requests, waits for the answers to those already made, then closes. */
  quit(): Promise<void> {
    const last = this.req('SV_INFO', '{"SV_INFO":{}}');
    this.closed ||= 1;
    return last.then(
      () => this.close(),
      () => this.close(),
    );
  }

  private s = (b: any) => new Session(this, b.tkn, b.name);

  /** A session object for a token you already have (e.g. from a cookie). uint64 tokens: a string or bigint. */
  session(token: string | bigint | number, name?: string): Session {
    return new Session(this, tokenText(token), name);
  }

  /** Creates a session (`SH_NEW`). `name` is a label; use newShared for a session others find by name. */
  newSession(options: { expiry?: Expiry; name?: string } = {}): Promise<Session> {
    return this.req('SH_NEW', '{"SH_NEW":' + json(options) + '}', this.s);
  }

  /** Creates a shared session, whose token is derived from its name (`SH_NEW` with `shared`). */
  newShared(name: string, options: { expiry?: Expiry } = {}): Promise<Session> {
    return this.req('SH_NEW', '{"SH_NEW":' + json({ ...options, name, shared: true }) + '}', this.s);
  }

  /** Opens a shared session by name (`SH_OPEN`). Anyone who knows the name can open it. */
  openShared(name: string): Promise<Session> {
    return this.req('SH_OPEN', '{"SH_OPEN":{"name":' + json(name) + '}}', this.s);
  }

  /** The given tokens that belong to live sessions, in request order (`SH_EXISTS`). */
  sessionsExist(tokens: (string | bigint | number)[]): Promise<string[]> {
    return this.req('SH_EXISTS', '{"SH_EXISTS":{"tkns":' + json(tokens.map(tokenText)) + '}}', (b) => b.exist.map(String));
  }

  /** Ends every session on the server; resolves with how many (`SH_END_ALL`). */
  endAllSessions(): Promise<number> {
    return this.req('SH_END_ALL', '{"SH_END_ALL":{}}', cnt);
  }

  /** Live sessions and their keys (`SH_INFO_ALL`). */
  sessionsInfo(): Promise<{ totalSessions: number; totalKeys: number }> {
    return this.req('SH_INFO_ALL', '{"SH_INFO_ALL":{}}', rest);
  }

  /** Saves sessions (all, or the given tokens) as dataset `name` (`SH_SAVE`). */
  saveSessions(name: string, tokens?: (string | bigint | number)[]): Promise<SaveResult> {
    return this.req('SH_SAVE', '{"SH_SAVE":' + json(tokens ? { name, tkns: tokens.map(tokenText) } : { name }) + '}', rest);
  }

  /** Loads the sessions of dataset `name`; sessions whose token is in use are skipped (`SH_LOAD`). */
  loadSessions(name: string): Promise<LoadResult> {
    return this.req('SH_LOAD', '{"SH_LOAD":{"name":' + json(name) + '}}', rest);
  }

  /** Server version and counters (`SV_INFO`). */
  serverInfo(): Promise<ServerInfo> {
    return this.req('SV_INFO', '{"SV_INFO":{}}', rest);
  }
}

/**
 * Connects to a Satchel server. With a list of URLs, the first that answers is used, and after a lost connection
 * the client moves on to the next one (with backoff and jitter). Rejects with `ConnectFailed` if none answers.
 */
export async function connect(urls: string | string[], options?: ConnectOptions): Promise<Client> {
  const c = new Client(urls, options);
  await c.open();
  return c;
}
