#!/usr/bin/env node
// Profiles the server under one of the benchmark's loads: the CLI runs under
// `node --cpu-prof`, the load runs, the server stops on SIGINT and writes its profile,
// and bench/profile-summary.mjs prints where the time went.
//
//   node bench/profile.mjs dhe|engine|tls13|throughput [--out DIR] [--seconds N] [--messages N] [--tree DEPTH]
//
// dhe, engine, tls13: handshakes from bench/handshake-load.mjs (2 processes × 8 at a time)
// against bench/dhe-2048.yaml, bench/dhe-2048-engine.yaml, or the catalogue's `good`.
// throughput: Postfix's smtp-source (-s 20) against bench/plaintext.yaml (run
// `npm run bench throughput` once first: it fetches smtp-source into bench/.postfix/).
// The profile is kept in DIR (default: a folder under the system's temp folder, printed).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const kind = args[0];
const LOADS = {
  dhe: { scenario: join(ROOT, 'bench', 'dhe-2048.yaml'), load: 'dhe', under: ['onhandshakestart', 'onnewsession', 'onticketkeycallback', 'onocspresponse'] },
  engine: { scenario: join(ROOT, 'bench', 'dhe-2048-engine.yaml'), load: 'dhe', under: ['signedKeyExchange', 'deriveKeys', 'modPow'] },
  tls13: { scenario: 'good', load: 'default', under: [] },
  throughput: { scenario: join(ROOT, 'bench', 'plaintext.yaml'), under: ['_onCommand', 'record', 'formatEvent'] },
};
if (!LOADS[kind]) {
  console.error('usage: node bench/profile.mjs dhe|engine|tls13|throughput [--out DIR] [--seconds N] [--messages N]');
  process.exit(2);
}
// Each run profiles into a folder of its own (inside --out when given, kept; else removed
// after the summary), so the summary is never of an older run's profile.
const keep = option('--out', undefined);
if (keep) mkdirSync(keep, { recursive: true });
const out = mkdtempSync(join(keep ?? tmpdir(), 'broken-mta-profile-'));
const { scenario, load, under } = LOADS[kind];

const server = spawn('node', ['--cpu-prof', '--cpu-prof-dir', out, join(ROOT, 'dist', 'cli.js'), '--scenario', scenario, '--port', '0', '--max-connections-per-client', '1000'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((resolve, reject) => {
  let seen = '';
  const onData = (chunk) => {
    seen += chunk;
    const match = /listening on [^:]+:(\d+)/.exec(seen);
    if (!match) return;
    server.stdout.off('data', onData);
    server.stdout.resume();
    resolve(Number(match[1]));
  };
  server.stdout.on('data', onData);
  server.once('exit', (code) => reject(new Error(`the server exited ${code} before listening`)));
});

if (kind === 'throughput') {
  const dir = join(ROOT, 'bench', '.postfix');
  const env = { ...process.env, LD_LIBRARY_PATH: join(dir, 'root', 'usr', 'lib', 'postfix'), MAIL_CONFIG: join(dir, 'conf') };
  execFileSync(join(dir, 'root', 'usr', 'sbin', 'smtp-source'), ['-s', '20', '-m', option('--messages', '20000'), `127.0.0.1:${port}`], { env, stdio: 'inherit' });
} else {
  const seconds = option('--seconds', '8');
  await Promise.all(
    [0, 1].map(
      () =>
        new Promise((resolve, reject) => {
          const child = spawn('node', [join(ROOT, 'bench', 'handshake-load.mjs'), String(port), seconds, '8', load], { stdio: ['ignore', 'pipe', 'inherit'] });
          child.stdout.on('data', (chunk) => process.stderr.write(`handshakes: ${chunk}`));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load exited ${code}`))));
        }),
    ),
  );
}

await new Promise((resolve) => (server.once('exit', resolve), server.kill('SIGINT')));
const file = join(out, readdirSync(out).find((name) => name.endsWith('.cpuprofile')));
console.log(execFileSync('node', [join(ROOT, 'bench', 'profile-summary.mjs'), file, ...under.flatMap((name) => ['--under', name]), '--tree', option('--tree', '6')], { encoding: 'utf8' }));
if (keep) console.error(`profile: ${file}`);
else rmSync(out, { recursive: true, force: true });
