// Real Satchel servers for the tests: one JVM each, on ephemeral loopback ports, started on first use and
// killed in teardown. SATCHEL_SERVER_CMD is the command that runs `satchel server` (a JSON array, or words
// separated by spaces); without it, the jar that `mvn -q -DskipTests package` builds in the repository root.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AUTH_SECRET = 'js-test-secret/with spaces&symbols=1';

const JAR = fileURLToPath(new URL('../../../target/satchel.jar', import.meta.url));

export function serverCommand() {
  const cmd = process.env.SATCHEL_SERVER_CMD?.trim();
  if (cmd) return cmd.startsWith('[') ? JSON.parse(cmd) : cmd.split(/\s+/);
  if (!existsSync(JAR)) {
    throw new Error(`no Satchel server to test against: ${JAR} is missing. Build it in the repository root with ` +
      '"mvn -q -DskipTests package", or set SATCHEL_SERVER_CMD to a command that runs "satchel server".');
  }
  return ['java', '-XX:+UseSerialGC', '-Xmx256m', '-XX:TieredStopAtLevel=1', '-jar', JAR, 'server'];
}

class Server {
  constructor(name, args) {
    this.name = name;
    this.args = args;
    this.port = 0;
    this.proc = null;
    this.starting = null;
    this.log = [];
  }

  get url() {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Starts the server (on its previous port after a stop) and resolves with its URL once it listens. */
  start() {
    this.starting ||= this.#start().finally(() => (this.starting = null));
    return this.starting;
  }

  async #start() {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#spawn();
      } catch (e) {
        // a restart on the same port may find it still held for a moment
        if (!this.port || attempt >= 40 || !/already in use|cannot listen/i.test(e.message)) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  #spawn() {
    const [exe, ...rest] = serverCommand();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SATCHEL_') && k !== 'JAVA_TOOL_OPTIONS'));
    const args = [...rest, '--port', String(this.port), '--admin-port', '0', ...this.args];
    const proc = spawn(exe, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        reject(new Error(`server ${this.name} did not start within 60 s:\n${this.log.join('\n')}`));
      }, 60000);
      const onData = (chunk) => {
        buffered += chunk;
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          this.log.push(line);
          if (this.log.length > 200) this.log.shift();
          const m = /listening on wss?:\\?\/\\?\/[^ ]*:(\d+)/.exec(line);
          if (m) {
            clearTimeout(timer);
            this.port = Number(m[1]);
            resolve(this.url);
          }
        }
      };
      proc.stdout.setEncoding('utf8').on('data', onData);
      proc.stderr.setEncoding('utf8').on('data', onData);
      proc.on('error', (e) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${exe}: ${e.message}`));
      });
      proc.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (this.proc === proc) this.proc = null;
        reject(new Error(`server ${this.name} exited (${code ?? signal}) before listening:\n${this.log.join('\n')}`));
      });
    });
  }

  /** Stops the server with a signal and waits for the process to end. */
  async stop(signal = 'SIGTERM') {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise((r) => proc.once('exit', r));
    if (signal === 'SIGTERM') proc.kill('SIGCONT');
    proc.kill(signal);
    const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
    await exited;
    clearTimeout(t);
  }

  /** Sends a signal; for SIGSTOP, waits until every thread of the process has stopped (delivery is asynchronous). */
  async signal(signal) {
    if (!this.proc) throw new Error(`server ${this.name} is not running`);
    const pid = this.proc.pid;
    this.proc.kill(signal);
    if (signal !== 'SIGSTOP') return;
    const end = Date.now() + 10000;
    while (!allStopped(pid)) {
      if (Date.now() > end) throw new Error(`server ${this.name} (pid ${pid}) did not stop within 10 s`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
}

function allStopped(pid) {
  try {
    return readdirSync(`/proc/${pid}/task`).every((t) => {
      let stat;
      try {
        stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      } catch {
        return true; // the thread has ended
      }
      return /^[Tt]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
    });
  } catch {
    return true; // no /proc: nothing to wait for
  }
}

/** The servers of one test file, by name, each started on first use. */
export class Servers {
  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'satchel-js-'));
    const shared = ['--shared-secret', 'js-test-shared-secret'];
    this.defs = {
      main: ['--persist-path', join(this.dir, 'data'), ...shared],
      uint64: ['--token-format', 'uint64', ...shared],
      auth: ['--auth-secret', AUTH_SECRET],
      restart: [],
      failA: [],
      failB: [],
    };
    this.servers = new Map();
  }

  /** The URL of a server, started if it is not running. */
  async url(name) {
    if (!this.defs[name]) throw new Error(`no server named ${name}`);
    let s = this.servers.get(name);
    if (!s) {
      s = new Server(name, this.defs[name]);
      this.servers.set(name, s);
    }
    if (s.starting || !s.proc) await s.start();
    return s.url;
  }

  /**
   * Server control for the scenarios: pause / resume (SIGSTOP / SIGCONT: a server that does not answer),
   * stop (SIGTERM: graceful shutdown, Close 1001), kill (SIGKILL: the connection drops), start (on the same
   * port), restart (stop then start).
   */
  async ctl(action, name) {
    const s = this.servers.get(name);
    if (!s) throw new Error(`server ${name} was never started`);
    switch (action) {
      case 'pause': return s.signal('SIGSTOP');
      case 'resume': return s.signal('SIGCONT');
      case 'stop': return s.stop('SIGTERM');
      case 'kill': return s.stop('SIGKILL');
      case 'start': return void (await s.start());
      case 'restart': await s.stop('SIGTERM'); return void (await s.start());
      default: throw new Error(`unknown action ${action}`);
    }
  }

  async stopAll() {
    await Promise.all([...this.servers.values()].map((s) => s.stop('SIGKILL')));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
