#!/usr/bin/env node
// node bench/control.mjs (after npm run build): what the control API costs. Plaintext
// sessions per second through a control listener (which hands each socket to a scenario's
// server) against the same scenario on a port of its own, in the same run; how soon a long
// poll hears of a connection; how long the largest /events page takes. Loopback only,
// bounded in count. BENCH_QUICK=1 for a smoke test.
import { connect } from 'node:net';
import { join, dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startScenario, defaultCertDir, DEFAULT_HOSTNAME } = await import(join(ROOT, 'dist', 'index.js'));
const { Control } = await import(join(ROOT, 'dist', 'control', 'control.js'));
const { serveControl } = await import(join(ROOT, 'dist', 'control', 'http.js'));

const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 3 : 7;
const SESSIONS = QUICK ? 400 : 2000;
const CONCURRENCY = 20;
const LIMITS = { maxConnectionsPerClient: 1000, maxConnections: 1000 };

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}
const fmt = (n) => (n >= 100 ? Math.round(n).toString() : n.toFixed(1));
const spread = (s, unit) => `${fmt(s.median)} ${unit} (${fmt(s.min)}–${fmt(s.max)}, n=${s.runs})`;

/** One plaintext transaction, answered line by line; resolves when the server has said 221. */
function transaction(port) {
  const script = ['EHLO bench.example.test', 'MAIL FROM:<a@example.test>', 'RCPT TO:<b@example.test>', 'DATA', 'Subject: bench\r\n\r\nhello\r\n.', 'QUIT'];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffer = '';
    let step = 0;
    socket.on('data', (chunk) => {
      buffer += chunk;
      // A reply ends with a line whose code is followed by a space.
      while (/^\d{3} .*\r\n/m.test(buffer)) {
        buffer = buffer.slice(buffer.search(/^\d{3} .*\r\n/m)).replace(/^\d{3} .*\r\n/, '');
        if (step === script.length) return socket.end();
        socket.write(script[step++] + '\r\n');
      }
    });
    socket.on('close', () => (step === script.length ? resolve() : reject(new Error(`closed at step ${step}`))));
    socket.on('error', reject);
  });
}

async function sessionsPerSecond(port) {
  let left = SESSIONS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (left-- > 0) await transaction(port);
    }),
  );
  return SESSIONS / ((performance.now() - started) / 1000);
}

const control = await Control.start({ host: '127.0.0.1', hostname: DEFAULT_HOSTNAME, certDir: defaultCertDir(), limits: LIMITS });
const api = await serveControl(control, { host: '127.0.0.1', port: 0 });
const listener = await control.startListener(control.resolve('groupwise-450'));
const direct = await startScenario('groupwise-450', { limits: LIMITS });
// Without a reader, the events would be kept in memory by the direct server only; both keep theirs bounded.

await sessionsPerSecond(direct.port); // warm-up
const viaPort = [];
const viaListener = [];
for (let run = 0; run < RUNS; run++) {
  viaPort.push(await sessionsPerSecond(direct.port));
  viaListener.push(await sessionsPerSecond(listener.port));
}

const latencies = [];
for (let i = 0; i < (QUICK ? 10 : 50); i++) {
  const since = control.bus.lastId;
  const waiting = fetch(`${api.url}/events?listener=${listener.port}&since=${since}&wait=5000`).then((r) => r.json());
  await new Promise((resolve) => setTimeout(resolve, 5));
  const started = performance.now();
  const socket = connect({ host: '127.0.0.1', port: listener.port });
  await waiting;
  latencies.push(performance.now() - started);
  socket.destroy();
}

const pages = [];
for (let i = 0; i < RUNS; i++) {
  const started = performance.now();
  const page = await (await fetch(`${api.url}/events?since=0&limit=10000`)).json();
  pages.push(performance.now() - started);
  if (page.events.length !== 10000) throw new Error(`a full page has ${page.events.length} events`);
}

const port = summary(viaPort);
const through = summary(viaListener);
console.log(`plaintext sessions/s, ${CONCURRENCY} at once: own port ${spread(port, '/s')}; control listener ${spread(through, '/s')}; ratio ${(through.median / port.median).toFixed(2)}×`);
console.log(`connect -> long poll answered: ${spread(summary(latencies), 'ms')}`);
console.log(`GET /events, a page of 10000 events: ${spread(summary(pages), 'ms')}`);

await direct.close();
await api.close();
await control.close();
