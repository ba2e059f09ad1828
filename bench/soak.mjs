#!/usr/bin/env node --expose-gc
// npm run soak: many sessions over every scenario, from parallel clients that leave at a
// random step, then a check that nothing leaked: open descriptors, memory, sessions.
// Bounded: SOAK_SESSIONS (20,000) sessions, SOAK_PARALLEL (40) at once, 10 minutes at most.
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { startScenario, listScenarios } = await import(join(ROOT, 'dist', 'index.js'));
const SESSIONS = Number(process.env.SOAK_SESSIONS ?? 20_000);
const PARALLEL = Number(process.env.SOAK_PARALLEL ?? 40);
const DEADLINE = performance.now() + 10 * 60_000;
const STEPS = ['connect', 'greeting', 'ehlo', 'starttls', 'handshake', 'tls-ehlo', 'mail', 'data', 'delivered'];

const fds = () => readdirSync('/proc/self/fd').length;
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const heapMiB = () => process.memoryUsage().heapUsed / 2 ** 20;
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    global.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

/** One client: goes as far as `leaveAt`, then closes or resets; never throws. */
function session(port, leaveAt, reset) {
  return new Promise((resolve) => {
    const tcp = connect({ host: '127.0.0.1', port });
    let socket = tcp;
    let step = 0;
    let buffer = '';
    // How many final replies to wait for before moving on (a 4xx or 5xx moves on at once).
    let awaiting = 1;
    const finish = () => {
      // A reset goes to the TCP socket; TLS has no such thing.
      if (reset && !tcp.destroyed) tcp.resetAndDestroy();
      else socket.destroy();
      resolve();
    };
    const guard = setTimeout(finish, 5000);
    const done = () => (clearTimeout(guard), finish());
    const onError = () => done();
    socket.on('error', onError);
    socket.on('close', () => (clearTimeout(guard), resolve()));
    // The envelope and DATA in one write; with AUTH offered, credentials first; with
    // CHUNKING, the message goes with BDAT at once, and the data step is done with it.
    const sendMail = (ehlo) => {
      const auth = /^250[ -]AUTH\b/m.test(ehlo) ? 'AUTH PLAIN AHNvYWsAc29hay1zZWNyZXQ=\r\n' : '';
      const bdat = /^250[ -]CHUNKING\b/m.test(ehlo);
      awaiting = 3 + (auth ? 1 : 0);
      if (bdat) step++;
      socket.write(`${auth}MAIL FROM:<soak@example.test>\r\nRCPT TO:<rcpt@example.test>\r\n${bdat ? 'BDAT 29 LAST\r\nSubject: soak\r\n\r\nbody\r\n' : 'DATA\r\n'}`);
    };
    // `step` is how far the session got; each reply moves it on by one, and the client
    // then sends what leads to the next step, unless it is to leave here.
    const advance = (reply) => {
      step++;
      const next = STEPS[step + 1];
      if (step >= leaveAt || !next || /^[45]\d\d /m.test(reply)) return done();
      if (next === 'ehlo' || next === 'tls-ehlo') socket.write('EHLO soak.example.test\r\n');
      else if (next === 'starttls') {
        // No STARTTLS offered: on to MAIL in plaintext.
        if (!/STARTTLS/.test(reply)) return (step += 3), sendMail(reply);
        socket.write('STARTTLS\r\n');
      } else if (next === 'handshake') {
        socket.removeAllListeners('data');
        // Every suite and version Node still has, so the legacy scenarios (static RSA, NULL,
        // TLS 1.0 and 1.1) complete their handshakes and carry sessions too.
        const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'mx.broken-mta.test', minVersion: 'TLSv1', ciphers: 'ALL:eNULL:@SECLEVEL=0' }, () => advance(''));
        secure.on('error', onError);
        secure.on('data', onData);
        socket = secure;
      } else if (next === 'mail') sendMail(reply);
      else if (next === 'data') socket.write('Subject: soak\r\n\r\nbody\r\n.\r\n');
      else if (next === 'delivered') socket.write('QUIT\r\n');
    };
    const onData = (chunk) => {
      buffer += chunk.toString('latin1');
      const lines = buffer.split('\r\n');
      if (lines.at(-1) !== '' || /^\d{3}-/.test(lines.at(-2) ?? '')) return;
      const reply = buffer;
      // MAIL, RCPT and DATA (or BDAT) were pipelined: wait for every reply.
      const finals = lines.filter((line) => /^\d{3} /.test(line));
      if (finals.length < awaiting && !finals.some((line) => /^[45]/.test(line))) return;
      awaiting = 1;
      buffer = '';
      advance(reply);
    };
    socket.on('data', onData);
    tcp.on('connect', () => leaveAt === 0 && done());
  });
}

const names = listScenarios().map((scenario) => scenario.name);
const servers = [];
for (const name of names) servers.push(await startScenario(name, { limits: { idleTimeoutMs: 2000, maxConnections: PARALLEL * 2, maxConnectionsPerClient: PARALLEL * 2 } }));

// Warm up once per scenario, so first-use allocations do not count as a leak.
await Promise.all(servers.map((server) => session(server.port, STEPS.length, false)));
await settle();
const before = { fds: fds(), rss: rssMiB(), heap: heapMiB() };

let next = 0;
let completed = 0;
const started = performance.now();
const worker = async () => {
  while (next < SESSIONS && performance.now() < DEADLINE) {
    const index = next++;
    const server = servers[index % servers.length];
    await session(server.port, Math.floor(Math.random() * (STEPS.length + 1)), Math.random() < 0.3);
    completed++;
    if (completed % 2000 === 0) process.stderr.write(`${completed}/${SESSIONS} sessions, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
};
await Promise.all(Array.from({ length: PARALLEL }, worker));
const elapsed = (performance.now() - started) / 1000;

// Sessions that a fault holds open end by the server's own idle timeout (2 s here).
const drainBy = performance.now() + 15_000;
const open = () => servers.reduce((sum, server) => sum + server.openSessions, 0);
while (open() > 0 && performance.now() < drainBy) await new Promise((resolve) => setTimeout(resolve, 100));
await settle();
const after = { fds: fds(), rss: rssMiB(), heap: heapMiB(), open: open() };
const served = servers.reduce((sum, server) => sum + server.sessions, 0);
const closes = servers.reduce((sum, server) => sum + server.events.filter((e) => e.type === 'close').length, 0);
const establishedIn = names.filter((_, index) => servers[index].events.some((e) => e.type === 'tls-established'));
for (const server of servers) await server.close();

const leaks = [];
if (after.fds > before.fds + 2) leaks.push(`file descriptors ${before.fds} → ${after.fds}`);
if (after.open > 0) leaks.push(`${after.open} sessions still open`);
// Each server keeps its last 10,000 events on purpose; beyond that, growth is a leak.
if (after.heap > before.heap + 48) leaks.push(`JS heap grew ${(after.heap - before.heap).toFixed(0)} MiB`);
// The event log is bounded (10,000 per server), so count closes against what it kept.
console.log(`soak: ${completed} client sessions over ${names.length} scenarios in ${elapsed.toFixed(0)} s (${(completed / elapsed).toFixed(0)}/s), ${PARALLEL} at once`);
console.log(`server sessions served: ${served}; close events kept: ${closes}`);
console.log(`TLS established in ${establishedIn.length} of ${names.length} scenarios; not in: ${names.filter((name) => !establishedIn.includes(name)).join(', ')}`);
console.log(`open file descriptors: ${before.fds} before, ${after.fds} after`);
console.log(`RSS: ${before.rss.toFixed(1)} MiB before, ${after.rss.toFixed(1)} MiB after; JS heap: ${before.heap.toFixed(1)} → ${after.heap.toFixed(1)} MiB`);
console.log(`sessions open after draining: ${after.open}`);
console.log(leaks.length ? `LEAKS: ${leaks.join('; ')}` : 'leaks: none');
process.exit(leaks.length ? 1 : 0);
