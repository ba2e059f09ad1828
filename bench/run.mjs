#!/usr/bin/env node
// npm run bench: every figure of BENCHMARKS.md, each against a baseline measured in the
// same run, as a median of several runs with its spread. Writes bench/results.json.
// Only loopback is loaded; every loop is bounded in count and time.
//
//   BENCH_QUICK=1 npm run bench     fewer runs and messages, for a smoke test
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli.js');
// Every load here comes from 127.0.0.1: the per-client limit (20 by default) must not shape it.
const ONE_ADDRESS = ['--max-connections-per-client', '1000'];
const QUICK = process.env.BENCH_QUICK === '1';
const RUNS = QUICK ? 3 : 7;
const { startScenario } = await import(join(ROOT, 'dist', 'index.js'));

// ---- statistics -----------------------------------------------------------------------

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: at(0.5), min: sorted[0], max: sorted[sorted.length - 1], runs: sorted.length };
}

const fmt = (n, digits = 1) => (n >= 100 ? Math.round(n).toString() : n.toFixed(digits));
const spread = (s, unit) => `${fmt(s.median)} ${unit} (${fmt(s.min)}–${fmt(s.max)}, n=${s.runs})`;

async function repeat(times, measure) {
  const values = [];
  for (let i = 0; i < times; i++) values.push(await measure(i));
  return summary(values);
}

// ---- process helpers ------------------------------------------------------------------

/** Wall-clock ms of a whole process, from spawn to exit. */
function wholeProcessMs(command, args) {
  const started = performance.now();
  execFileSync(command, args, { stdio: 'ignore', timeout: 20_000 });
  return performance.now() - started;
}

/**
 * CPU ms of a whole process (every thread, user and system), as `perf stat -e task-clock`
 * counts it: on a shared machine this holds still where wall-clock time does not.
 * Undefined where perf is missing or not allowed.
 */
function wholeProcessCpuMs(command, args) {
  const run = spawnSync('perf', ['stat', '-x', ',', '-e', 'task-clock', '--', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 20_000 });
  const line = (run.stderr ?? '').split('\n').find((l) => l.includes('task-clock'));
  const ms = line ? Number(line.split(',')[0]) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

/** CPU ms a live process has used so far, every thread (ns-precise, from /proc/PID/task/*\/schedstat). */
function liveCpuMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
  return ns / 1e6;
}

/** Spawns a command and resolves with the ms until its first stdout line, and the CPU ms it had used by then. */
function firstLine(command, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${command}: no line within 10 s`))), 10_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (!seen.includes('\n')) return;
      const elapsed = performance.now() - started;
      const cpu = liveCpuMs(child.pid);
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve({ elapsed, cpu });
    });
  });
}

/** Starts the CLI on a free port in its own process; resolves with { port, pid, stop }. */
function startCli(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [CLI, ...args, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    const onData = (chunk) => {
      seen += chunk;
      const match = /listening on [^:]+:(\d+)/.exec(seen);
      if (!match) return;
      child.stdout.off('data', onData);
      child.stdout.resume(); // keep draining the event lines
      resolve({
        port: Number(match[1]),
        pid: child.pid,
        stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGKILL'))),
      });
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`broken-mta exited ${code} before listening`)));
  });
}

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

// ---- Postfix's smtp-source and smtp-sink, taken from Debian's package without installing it

function postfixTools() {
  const dir = join(ROOT, 'bench', '.postfix');
  const sbin = join(dir, 'root', 'usr', 'sbin');
  if (!existsSync(join(sbin, 'smtp-source'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('apt-get', ['download', 'postfix'], { cwd: dir, stdio: 'ignore' });
    const deb = readdirSync(dir).find((file) => file.startsWith('postfix_') && file.endsWith('.deb'));
    execFileSync('dpkg', ['-x', join(dir, deb), join(dir, 'root')]);
    mkdirSync(join(dir, 'conf'), { recursive: true });
    writeFileSync(join(dir, 'conf', 'main.cf'), 'mail_owner = daemon\ndefault_privs = nobody\nsetgid_group = smmsp\ncompatibility_level = 3.6\n');
  }
  const env = { ...process.env, LD_LIBRARY_PATH: join(dir, 'root', 'usr', 'lib', 'postfix'), MAIL_CONFIG: join(dir, 'conf') };
  return { source: join(sbin, 'smtp-source'), sink: join(sbin, 'smtp-sink'), env };
}

function smtpSource(tools, port, messages) {
  const started = performance.now();
  execFileSync(tools.source, ['-s', '20', '-m', String(messages), `127.0.0.1:${port}`], { env: tools.env, stdio: 'ignore', timeout: 120_000 });
  return messages / ((performance.now() - started) / 1000);
}

async function withSmtpSink(tools, work) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const sink = spawn(tools.sink, ['-u', 'nobody', `127.0.0.1:${port}`, '1000'], { env: tools.env, stdio: 'ignore' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  try {
    return await work(port, sink.pid);
  } finally {
    sink.kill('SIGKILL');
  }
}

/** Messages per second of wall clock, and per second of the server's own CPU. */
function smtpSourceRate(tools, port, pid, messages) {
  const cpuBefore = liveCpuMs(pid);
  const perSecond = smtpSource(tools, port, messages);
  const cpuSeconds = (liveCpuMs(pid) - cpuBefore) / 1000;
  return { perSecond, perCpuSecond: messages / cpuSeconds };
}

// ---- STARTTLS handshakes over loopback ------------------------------------------------

/**
 * Handshakes per second of the server's own CPU. The load comes from two other
 * processes, which on a 2-core machine compete with the server for the CPU, so the
 * wall-clock rate would measure the clients as much as the server.
 */
async function handshakeRate(server, seconds, kind, mode = 'starttls') {
  const cpuBefore = liveCpuMs(server.pid) / 1000;
  const loads = [0, 1].map(
    () =>
      new Promise((resolve, reject) => {
        const child = spawn('node', [join(ROOT, 'bench', 'handshake-load.mjs'), String(server.port), String(seconds), '8', kind, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`load exited ${code}`))));
      }),
  );
  const done = (await Promise.all(loads)).reduce((a, b) => a + b, 0);
  const cpu = liveCpuMs(server.pid) / 1000 - cpuBefore;
  return { perCpuSecond: done / cpu, perSecond: done / seconds };
}

/**
 * The server's arithmetic per handshake, from `openssl speed` (ms per operation): one
 * RSA-2048 signature, and two key-exchange operations (making its key pair, then the
 * shared secret) in ffdh2048 or X25519.
 */
function opensslSpeed() {
  const out = execFileSync('openssl', ['speed', '-seconds', QUICK ? '1' : '3', 'rsa2048', 'ffdh2048', 'ecdhx25519'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = out.split('\n');
  const rsa = lines.find((l) => /^rsa\s+2048 bits/.test(l)).trim().split(/\s+/);
  const ffdh = lines.find((l) => /^\s*2048 bits ffdh/.test(l)).trim().split(/\s+/);
  const x25519 = lines.find((l) => /ecdh \(X25519\)/.test(l)).trim().split(/\s+/);
  return { rsaSignMs: 1000 / Number(rsa[5]), ffdh2048Ms: 1000 / Number(ffdh.at(-1)), x25519Ms: 1000 / Number(x25519.at(-1)) };
}

// ---- the figures ----------------------------------------------------------------------

const results = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
  quick: QUICK,
  figures: {},
};
const rows = [];
function report(name, value, baseline, ratioText, target, met) {
  results.figures[name] = { value, baseline, ratio: ratioText, target, met };
  rows.push([name, value, baseline, ratioText, target, met === undefined ? '' : met ? 'met' : 'NOT met']);
  process.stderr.write(`${name}: ${value} | ${baseline} | ${ratioText}\n`);
}

/** `node -e 0`, run the same way in the same loop: what Node itself costs. */
const BARE_NODE = ['-e', '0'];
/** The same, for a first line: it stays alive until killed, so its CPU can be read. */
const BARE_NODE_LINE = ['-e', 'console.log("listening"); setInterval(() => {}, 1000)'];

/**
 * Whole-process start-up of three commands that serve nothing, and the CLI's time to
 * `listening`, each against bare Node in the same loop (interleaved, so load from other
 * work on the machine falls on both alike). Wall-clock is the figure; CPU ms beside it.
 */
async function cliStartup() {
  execFileSync('node', [CLI, 'certs'], { stdio: 'ignore' }); // warm cache
  const runs = QUICK ? 5 : 11;
  const commands = [
    ['`broken-mta --version` (whole process)', ['--version']],
    ['`broken-mta list` (whole process)', ['list']],
    ['`broken-mta show good` (whole process)', ['show', 'good']],
  ];
  const wall = { node: [], ...Object.fromEntries(commands.map(([name]) => [name, []])) };
  const cpu = { node: [], ...Object.fromEntries(commands.map(([name]) => [name, []])) };
  for (let i = 0; i < runs; i++) {
    wall.node.push(wholeProcessMs('node', BARE_NODE));
    cpu.node.push(wholeProcessCpuMs('node', BARE_NODE));
    for (const [name, args] of commands) {
      wall[name].push(wholeProcessMs('node', [CLI, ...args]));
      cpu[name].push(wholeProcessCpuMs('node', [CLI, ...args]));
    }
  }
  for (const [name] of commands) reportStartup(name, wall, cpu, name, 'node -e 0');
  const listening = { wall: { node: [], cli: [] }, cpu: { node: [], cli: [] } };
  for (let i = 0; i < runs; i++) {
    for (const [who, args] of [['node', BARE_NODE_LINE], ['cli', [CLI, '--scenario', 'good', '--port', '0']]]) {
      const { elapsed, cpu: used } = await firstLine('node', args);
      listening.wall[who].push(elapsed);
      listening.cpu[who].push(used);
    }
  }
  reportStartup('CLI start to `listening`, warm certificates', listening.wall, listening.cpu, 'cli', 'node -e (prints a line)');
}

function reportStartup(figure, wall, cpu, key, baselineName) {
  const ours = summary(wall[key]);
  const node = summary(wall.node);
  const ratio = ours.median / node.median;
  const known = (values) => values.filter((value) => value !== undefined);
  const cpuText = known(cpu[key]).length ? `; CPU ${fmt(summary(known(cpu[key])).median)} ms` : '';
  const nodeCpuText = known(cpu.node).length ? `; CPU ${fmt(summary(known(cpu.node)).median)} ms` : '';
  const cpuRatio = known(cpu[key]).length && known(cpu.node).length ? ` (CPU ${(summary(known(cpu[key])).median / summary(known(cpu.node)).median).toFixed(2)}×)` : '';
  report(figure, `${spread(ours, 'ms')}${cpuText}`, `${baselineName}: ${spread(node, 'ms')}${nodeCpuText}`, `${ratio.toFixed(2)}×${cpuRatio}`, '≤ 1.5×', ratio <= 1.5);
}

async function apiStartup() {
  const times = await repeat(RUNS * 3, async () => {
    const started = performance.now();
    const mta = await startScenario('good');
    const elapsed = performance.now() - started;
    await mta.close();
    return elapsed;
  });
  report('API startScenario() to listening (warm)', spread(times, 'ms'), '–', '–', '≤ 20 ms', times.median <= 20);
}

async function coldCerts() {
  const times = await repeat(QUICK ? 1 : 3, () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-bench-certs-'));
    const started = performance.now();
    execFileSync('node', [CLI, 'certs', '--certs', dir], { stdio: 'ignore' });
    const elapsed = performance.now() - started;
    rmSync(dir, { recursive: true, force: true });
    return elapsed;
  });
  report('cold cert cache (`broken-mta certs`: every profile but the two made when served)', spread(times, 'ms'), '–', '–', '≤ 2000 ms', times.median <= 2000);
}

async function coldFirstStart() {
  const times = await repeat(QUICK ? 1 : 5, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-bench-certs-'));
    try {
      const started = performance.now();
      const child = spawn('node', [CLI, '--scenario', 'good', '--port', '0', '--certs', dir]);
      await new Promise((resolve) => child.stdout.once('data', resolve));
      const elapsed = performance.now() - started;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
      return elapsed;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  report('first `--scenario good`, empty cert cache, to listening', spread(times, 'ms'), '–', '–', '–', true);
}

/** Not in the default run: each key takes seconds to a minute of one core. */
async function rsa8192Key() {
  const { generateKeyPair } = await import('node:crypto');
  const { promisify } = await import('node:util');
  const times = await repeat(QUICK ? 1 : 5, async () => {
    const started = performance.now();
    await promisify(generateKeyPair)('rsa', { modulusLength: 8192 });
    return performance.now() - started;
  });
  report('an RSA-8192 key (the rsa-8192 profile, made on first use)', spread(times, 'ms'), '–', '–', '–', true);
}

/**
 * Plaintext messages through Postfix's smtp-source, 20 sessions at once, against
 * Postfix's smtp-sink in the same run. Wall clock is the figure (the load generator
 * shares the 2 cores); messages per second of the server's own CPU is beside it.
 */
async function throughput() {
  const tools = postfixTools();
  const messages = QUICK ? 2000 : 20000;
  const runs = QUICK ? 1 : 3;
  const sinkRuns = [];
  const ourRuns = [];
  const server = await startCli(['--scenario', join(ROOT, 'bench', 'plaintext.yaml'), ...ONE_ADDRESS]);
  try {
    // Interleaved, so that load from elsewhere on the machine falls on both alike.
    for (let i = 0; i < runs; i++) {
      sinkRuns.push(await withSmtpSink(tools, (port, pid) => smtpSourceRate(tools, port, pid, messages)));
      ourRuns.push(smtpSourceRate(tools, server.port, server.pid, messages));
    }
  } finally {
    await server.stop();
  }
  const ours = summary(ourRuns.map((run) => run.perSecond));
  const sink = summary(sinkRuns.map((run) => run.perSecond));
  const oursCpu = summary(ourRuns.map((run) => run.perCpuSecond));
  const sinkCpu = summary(sinkRuns.map((run) => run.perCpuSecond));
  const ratio = ours.median / sink.median;
  report(
    `plaintext messages/s (smtp-source -s 20 -m ${messages})`,
    `${spread(ours, 'msg/s')}; ${fmt(oursCpu.median)} per server-CPU-second`,
    `smtp-sink: ${spread(sink, 'msg/s')}; ${fmt(sinkCpu.median)} per CPU-second`,
    `${ratio.toFixed(2)}× (CPU ${(oursCpu.median / sinkCpu.median).toFixed(2)}×)`,
    '≥ 0.7×',
    ratio >= 0.7,
  );
}

/** Handshakes per server-CPU-second against a running server; `kind` and `mode` are handshake-load.mjs's. */
async function rateOf(server, kind, mode) {
  try {
    const runs = [];
    for (let i = 0; i < (QUICK ? 1 : 3); i++) runs.push(await handshakeRate(server, QUICK ? 2 : 4, kind, mode));
    return { perCpu: summary(runs.map((run) => run.perCpuSecond)), wall: summary(runs.map((run) => run.perSecond)) };
  } finally {
    await server.stop();
  }
}

/**
 * The same handshake from a server with no SMTP: bench/tls-server.mjs (Node's TLS alone)
 * or `openssl s_server` (OpenSSL alone, in C). What OpenSSL spends beyond the arithmetic
 * floor shows here: for DHE it checks the client's public value against the group's order,
 * a full-length exponentiation (DH_check_pub_key), which `openssl speed` leaves out.
 */
async function bareTlsServer(which, kind, certFile) {
  if (which === 'node') {
    const child = spawn('node', [join(ROOT, 'bench', 'tls-server.mjs'), certFile, kind], { stdio: ['ignore', 'pipe', 'ignore'] });
    const port = await new Promise((resolve) => child.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim()))));
    return { port, pid: child.pid, stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGKILL'))) };
  }
  const port = 20000 + Math.floor(Math.random() * 20000);
  const dhe = ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'];
  const child = spawn('openssl', ['s_server', '-quiet', '-accept', String(port), '-cert', certFile, '-key', certFile, ...(kind === 'dhe' ? dhe : [])], { stdio: ['pipe', 'ignore', 'ignore'] });
  await new Promise((resolve) => setTimeout(resolve, 500));
  return { port, pid: child.pid, stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGKILL'))) };
}

/**
 * STARTTLS handshakes per second of server CPU, each path against the arithmetic it cannot
 * avoid (its floor, from openssl speed) and against the same handshake served bare by
 * Node's TLS and by openssl s_server: DHE-2048 on Node's TLS and on the scripted engine,
 * and the catalogue's default path, TLS 1.3 with X25519 and an RSA-PSS signature
 * (scenario `good`).
 */
async function handshakes() {
  const speed = opensslSpeed();
  const certFile = join(dirname(execFileSync('node', [CLI, 'certs'], { encoding: 'utf8' }).trim()), 'valid.pem');
  const dheFloor = 1000 / (speed.rsaSignMs + 2 * speed.ffdh2048Ms);
  const tls13Floor = 1000 / (speed.rsaSignMs + 2 * speed.x25519Ms);
  const ours = async (args, kind) => rateOf(await startCli([...args, ...ONE_ADDRESS]), kind, 'starttls');
  const bare = async (which, kind) => rateOf(await bareTlsServer(which, kind, certFile), kind, 'tls');
  const node = await ours(['--scenario', join(ROOT, 'bench', 'dhe-2048.yaml')], 'dhe');
  const engine = await ours(['--scenario', join(ROOT, 'bench', 'dhe-2048-engine.yaml')], 'dhe');
  const tls13 = await ours(['--scenario', 'good'], 'default');
  const bareDhe = { node: await bare('node', 'dhe'), openssl: await bare('openssl', 'dhe') };
  const bareTls13 = { node: await bare('node', 'default'), openssl: await bare('openssl', 'default') };
  const bareText = (them) => `bare Node TLS ${fmt(them.node.perCpu.median)}, openssl s_server ${fmt(them.openssl.perCpu.median)}`;
  const row = (figure, measured, floor, floorText, them, target) => {
    const ratio = measured.perCpu.median / floor;
    const againstBare = `${ratio.toFixed(2)}× (bare Node TLS: ${(measured.perCpu.median / them.node.perCpu.median).toFixed(2)}×)`;
    report(figure, `${spread(measured.perCpu, '/CPU-s')}; wall clock ${fmt(measured.wall.median)}/s`, `${floorText}; ${bareText(them)}`, againstBare, target === undefined ? '–' : `≥ ${target}× floor`, target === undefined ? undefined : ratio >= target);
  };
  const dheFloorText = `floor ${fmt(dheFloor)}/CPU-s (openssl speed: RSA-2048 sign ${speed.rsaSignMs.toFixed(3)} ms + 2 × ffdh2048 ${speed.ffdh2048Ms.toFixed(3)} ms)`;
  row('STARTTLS + DHE-2048 handshakes per server-CPU-second (Node TLS)', node, dheFloor, dheFloorText, bareDhe, 0.6);
  row('STARTTLS + DHE-2048 handshakes per server-CPU-second (scripted engine)', engine, dheFloor, dheFloorText, bareDhe, 0.5);
  const tls13FloorText = `floor ${fmt(tls13Floor)}/CPU-s (RSA-2048 sign ${speed.rsaSignMs.toFixed(3)} ms + 2 × X25519 ${speed.x25519Ms.toFixed(3)} ms)`;
  row('STARTTLS + TLS 1.3, X25519, RSA-PSS handshakes per server-CPU-second (scenario good)', tls13, tls13Floor, tls13FloorText, bareTls13);
}

async function idleSessions() {
  const count = QUICK ? 1000 : 5000;
  const server = await startCli(['--scenario', 'tarpit', '--max-connections', String(count + 100), '--max-connections-per-client', String(count + 100)]);
  const sockets = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const before = rssKiB(server.pid);
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, () =>
          new Promise((resolve, reject) => {
            const socket = connect({ host: '127.0.0.1', port: server.port }, () => resolve());
            socket.on('error', reject);
            sockets.push(socket);
          }),
        ),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = rssKiB(server.pid);
    const perSession = (after - before) / count;
    report(`idle sessions (${count} held)`, `${fmt(perSession)} KiB/session`, `RSS before: ${fmt(before / 1024)} MiB, after: ${fmt(after / 1024)} MiB`, '–', '≤ 50 KiB', perSession <= 50);
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}

const only = process.argv.slice(2);
const all = { cliStartup, apiStartup, coldCerts, coldFirstStart, throughput, handshakes, idleSessions };
const onRequest = { rsa8192Key };
const started = performance.now();
for (const [name, run] of Object.entries({ ...all, ...onRequest })) {
  if (only.length ? !only.includes(name) : name in onRequest) continue;
  try {
    await run();
  } catch (error) {
    report(name, `failed: ${error.message}`, '–', '–', '–', false);
  }
}

const header = ['figure', 'value (median, min–max)', 'baseline (same run)', 'ratio', 'target', ''];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => '| ' + cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ') + ' |';
console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
console.log(`\n${results.machine.cpus} × ${results.machine.model}, ${results.machine.memoryGiB} GiB, Node ${results.machine.node}; ${((performance.now() - started) / 1000).toFixed(0)} s`);
writeFileSync(join(ROOT, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
process.exit(0);
