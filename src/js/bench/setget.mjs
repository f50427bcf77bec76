// Throughput of the Node client (dist/index.js) in one process: C connections x P requests in flight, each
// connection with its own session, SH_SET k<i> and SH_GET k<i> alternately with i cycling over the keys
// (the setget workload of shared/bench/loadgen and satchel bench). Every request goes through the public API:
// a promise per request, responses parsed with JSON.parse.
//   node bench/setget.mjs --url ws://127.0.0.1:1987 -c 50 -p 16 -t 10 --warmup 3 [-d 100] [--keys 1000] [--json]
import { connect } from '../dist/index.js';

const o = { url: 'ws://127.0.0.1:1987', c: 50, p: 16, t: 10, warmup: 3, d: 100, keys: 1000, json: false, token: undefined };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const v = () => argv[++i];
  if (a === '--url' || a === '-u') o.url = v();
  else if (a === '-c') o.c = +v();
  else if (a === '-p') o.p = +v();
  else if (a === '-t') o.t = +v();
  else if (a === '--warmup') o.warmup = +v();
  else if (a === '-d') o.d = +v();
  else if (a === '--keys') o.keys = +v();
  else if (a === '--token') o.token = v();
  else if (a === '--json') o.json = true;
  else {
    console.error(`unknown option ${a}`);
    process.exit(2);
  }
}

const value = 'x'.repeat(o.d);
const keys = Array.from({ length: o.keys }, (_, i) => 'k' + i);
let phase = 'warmup', done = 0, errors = 0, misses = 0, firstError = null;

const clients = await Promise.all(Array.from({ length: o.c }, () => connect(o.url, { token: o.token, timeoutMs: 30000 })));
const sessions = await Promise.all(clients.map((c) => c.newSession()));

async function worker(s, start) {
  let i = start;
  while (phase !== 'stop') {
    const k = keys[i];
    i = (i + 1) % keys.length;
    try {
      await s.set({ [k]: value });
      const got = await s.get([k]);
      if (got[k] === undefined) misses++;
    } catch (e) {
      errors++;
      firstError ||= e;
    }
    if (phase === 'run') done += 2;
  }
}

const workers = [];
sessions.forEach((s, n) => {
  for (let j = 0; j < o.p; j++) workers.push(worker(s, (n * o.p + j) % keys.length));
});
await new Promise((r) => setTimeout(r, o.warmup * 1000));
phase = 'run';
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
await new Promise((r) => setTimeout(r, o.t * 1000));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const measured = done;
phase = 'stop';
await Promise.all(workers);
await Promise.all(sessions.map((s) => s.end()));
clients.forEach((c) => c.close());

const result = {
  workload: 'setget', connections: o.c, pipeline: o.p, valueBytes: o.d, seconds: +seconds.toFixed(2),
  requests: measured, rps: Math.round(measured / seconds), errors, misses,
  clientCpu: +((cpu.user + cpu.system) / 1e6 / seconds).toFixed(3),
};
if (o.json) console.log(JSON.stringify(result));
else {
  console.log(`satchel-client setget on ${o.url}: ${o.c} connections x ${o.p} in flight, ${o.d}-byte values`);
  console.log(`  ${result.seconds} s: ${measured.toLocaleString('en')} requests, ${result.rps.toLocaleString('en')} req/s, ` +
    `${errors} errors, ${misses} misses, client CPU ${(result.clientCpu * 100).toFixed(0)}% of a core`);
}
if (firstError) console.error('first error:', firstError.message);
process.exit(errors ? 1 : 0);
