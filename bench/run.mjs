#!/usr/bin/env node
// npm run bench: every figure of BENCHMARKS.md, each against a baseline measured in the
// same run, as a median of several runs with its spread. Writes bench/results.json.
// Only loopback is loaded; every loop is bounded in count and time.
//
//   BENCH_QUICK=1 npm run bench     fewer runs and messages, for a smoke test
import { execFileSync, spawn } from 'node:child_process';
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

/** Spawns a command and resolves with the ms until its first stdout line. */
function timeToFirstLine(command, args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${command}: no line within 10 s`))), 10_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (!seen.includes('\n')) return;
      const elapsed = performance.now() - started;
      clearTimeout(timer);
      child.kill('SIGKILL');
      resolve(elapsed);
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
    return await work(port);
  } finally {
    sink.kill('SIGKILL');
  }
}

// ---- STARTTLS handshakes over loopback ------------------------------------------------

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks of 1/100 s
}

/**
 * Handshakes per second of the server's own CPU. The load comes from two other
 * processes, which on a 2-core machine compete with the server for the CPU, so the
 * wall-clock rate would measure the clients as much as the server.
 */
async function handshakeRate(server, seconds) {
  const cpuBefore = cpuSeconds(server.pid);
  const loads = [0, 1].map(
    () =>
      new Promise((resolve, reject) => {
        const child = spawn('node', [join(ROOT, 'bench', 'handshake-load.mjs'), String(server.port), String(seconds), '8'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`load exited ${code}`))));
      }),
  );
  const done = (await Promise.all(loads)).reduce((a, b) => a + b, 0);
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  return { perCpuSecond: done / cpu, perSecond: done / seconds };
}

function opensslRsaSignsPerSecond() {
  const out = execFileSync('openssl', ['speed', '-seconds', '3', 'rsa2048'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const line = out.split('\n').find((l) => /^rsa\s+2048 bits/.test(l));
  return Number(line.trim().split(/\s+/)[5]); // sign/s column
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

async function cliStartup() {
  execFileSync('node', [CLI, 'certs'], { stdio: 'ignore' }); // warm cache
  const cli = await repeat(RUNS, () => timeToFirstLine('node', [CLI, '--scenario', 'good', '--port', '0']));
  const node = await repeat(RUNS, () => timeToFirstLine('node', ['-e', 'console.log("listening")']));
  const ratio = cli.median / node.median;
  report('CLI start to listening (warm certs)', spread(cli, 'ms'), `node -e: ${spread(node, 'ms')}`, `${ratio.toFixed(2)}×`, '≤ 1.5×', ratio <= 1.5);
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

async function throughput() {
  const tools = postfixTools();
  const messages = QUICK ? 2000 : 20000;
  const runs = QUICK ? 1 : 3;
  const sink = await repeat(runs, () => withSmtpSink(tools, (port) => smtpSource(tools, port, messages)));
  const server = await startCli(['--scenario', join(ROOT, 'bench', 'plaintext.yaml'), ...ONE_ADDRESS]);
  let ours;
  try {
    ours = await repeat(runs, () => smtpSource(tools, server.port, messages));
  } finally {
    await server.stop();
  }
  const ratio = ours.median / sink.median;
  report(`plaintext messages/s (smtp-source -s 20 -m ${messages})`, spread(ours, 'msg/s'), `smtp-sink: ${spread(sink, 'msg/s')}`, `${ratio.toFixed(2)}×`, '≥ 1.0×', ratio >= 1);
}

async function handshakes() {
  const signs = opensslRsaSignsPerSecond();
  const server = await startCli(['--scenario', join(ROOT, 'bench', 'dhe-2048.yaml'), ...ONE_ADDRESS]);
  try {
    const runs = [];
    for (let i = 0; i < (QUICK ? 1 : 3); i++) runs.push(await handshakeRate(server, QUICK ? 2 : 4));
    const perCpu = summary(runs.map((run) => run.perCpuSecond));
    const wall = summary(runs.map((run) => run.perSecond));
    const ratio = perCpu.median / signs;
    report(
      'STARTTLS + DHE-2048 handshakes per server-CPU-second (Node TLS)',
      `${spread(perCpu, '/CPU-s')}; wall clock ${fmt(wall.median)}/s`,
      `openssl speed rsa2048: ${fmt(signs)} sign/s`,
      `${(ratio * 100).toFixed(0)} %`,
      '≥ 70 %',
      ratio >= 0.7,
    );
  } finally {
    await server.stop();
  }
}

/** The scripted engine against Node's own TLS, the same suite and group size, in one run. */
async function engineHandshakes() {
  const measure = async (file) => {
    const server = await startCli(['--scenario', join(ROOT, 'bench', file)]);
    try {
      const runs = [];
      for (let i = 0; i < (QUICK ? 1 : 3); i++) runs.push(await handshakeRate(server, QUICK ? 2 : 4));
      return { perCpu: summary(runs.map((run) => run.perCpuSecond)), wall: summary(runs.map((run) => run.perSecond)) };
    } finally {
      await server.stop();
    }
  };
  const node = await measure('dhe-2048.yaml');
  const engine = await measure('dhe-2048-engine.yaml');
  const ratio = engine.perCpu.median / node.perCpu.median;
  report(
    'STARTTLS + DHE-2048 handshakes per server-CPU-second (scripted engine)',
    `${spread(engine.perCpu, '/CPU-s')}; wall clock ${fmt(engine.wall.median)}/s`,
    `Node TLS, same suite: ${spread(node.perCpu, '/CPU-s')}`,
    `${ratio.toFixed(2)}×`,
    '≥ 0.5×',
    ratio >= 0.5,
  );
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
const all = { cliStartup, apiStartup, coldCerts, coldFirstStart, throughput, handshakes, engineHandshakes, idleSessions };
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
