// Servers broken-mta did not write: `openssl s_server` behind a small STARTTLS front, and
// Python's ssl module serving STARTTLS, each with an expired or self-signed certificate, an
// incomplete chain, TLS 1.0 only, or a 1024-bit DH group of its own. Capture each, serve
// the captured file, and openssl s_client must print the same failure against both.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../../src/capture/capture.js';
import { writeCapture } from '../../src/capture/write.js';
import { CertificateCache } from '../../src/certs/cache.js';
import { DEFAULT_HOSTNAME, defaultCertDir, startScenario } from '../../src/index.js';
import { run, type ProgramResult } from '../support/clients.js';
import { runJudge, table } from './support.js';

interface Case {
  name: string;
  server: 's_server' | 'python';
  profile: 'expired' | 'self-signed' | 'incomplete-chain' | 'valid';
  mode: 'plain' | 'tls1' | 'dhe';
  /** What the capture must have seen, in the scenario it wrote. */
  expect: (tls: Record<string, unknown>) => void;
}

const CASES: Case[] = (['s_server', 'python'] as const).flatMap((server) => [
  { name: `${server} expired`, server, profile: 'expired', mode: 'plain', expect: (tls) => expect(tls.cert).toBe('expired') },
  { name: `${server} self-signed`, server, profile: 'self-signed', mode: 'plain', expect: (tls) => expect(tls.cert).toBe('self-signed') },
  // Without AIA in the leaf, a missing intermediate and an unknown CA look the same to every client.
  { name: `${server} incomplete chain`, server, profile: 'incomplete-chain', mode: 'plain', expect: (tls) => expect(['incomplete-chain', 'unknown-ca']).toContain(tls.cert) },
  { name: `${server} TLS 1.0 only`, server, profile: 'valid', mode: 'tls1', expect: (tls) => expect(tls.versions).toEqual(['TLSv1']) },
  { name: `${server} 1024-bit DH`, server, profile: 'valid', mode: 'dhe', expect: (tls) => expect(tls).toMatchObject({ engine: 'scripted', dh: { file: expect.stringMatching(/\.dh\.pem$/) } }) },
] satisfies Case[]);

const dir = mkdtempSync(join(tmpdir(), 'broken-mta-capture-foreign-'));
const children: ChildProcessWithoutNullStreams[] = [];
const fronts: Server[] = [];
let ca = '';
let dhFile = '';
const files = new Map<string, { cert: string; key: string }>();
const rows: string[][] = [];

beforeAll(async () => {
  const cache = new CertificateCache(defaultCertDir(), DEFAULT_HOSTNAME);
  ca = cache.caFile;
  for (const profile of ['expired', 'self-signed', 'incomplete-chain', 'valid'] as const) {
    const certificate = await cache.get(profile);
    const cert = join(dir, `${profile}.pem`);
    const key = join(dir, `${profile}.key.pem`);
    writeFileSync(cert, certificate.chain);
    writeFileSync(key, certificate.key, { mode: 0o600 });
    files.set(profile, { cert, key });
  }
  // A group of the server's own making: capture must keep it, since no catalogue group is it.
  dhFile = join(dir, 'dh1024.pem');
  const made = await run('openssl', ['dhparam', '-out', dhFile, '1024'], { timeoutMs: 60_000 });
  expect(made.code).toBe(0);
}, 90_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  for (const front of fronts) front.close();
  rmSync(dir, { recursive: true, force: true });
  if (rows.length) console.log(`\nopenssl s_client against servers we did not write, and against their captures\n${table(['server', 'original', 'captured', 'result'], rows)}\n`);
});

/** Starts a program that prints its port on a line matching `pattern`; it is killed after the file. */
function startProgram(command: string, args: string[], pattern: RegExp): Promise<number> {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${command} printed no port: ${seen}`)), 10_000);
    const onData = (chunk: Buffer) => {
      if (seen.length < 10_000) seen += chunk.toString();
      const port = pattern.exec(seen)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => reject(new Error(`${command} exited: ${seen}`)));
  });
}

/** Plaintext SMTP up to STARTTLS, then every byte both ways to the TLS server behind. */
function starttlsFront(upstreamPort: number): Promise<number> {
  const front = createServer((socket) => {
    socket.write('220 front.example.test ESMTP (openssl s_server behind)\r\n');
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim().toUpperCase();
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('EHLO')) socket.write('250-front.example.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n');
        else if (line === 'QUIT') socket.end('221 2.0.0 Bye\r\n');
        else if (line !== 'STARTTLS') socket.write('502 5.5.2 Not here\r\n');
        else {
          // Held until the upstream is there: the ClientHello follows the 220 at once.
          socket.off('data', onData);
          socket.pause();
          socket.write('220 2.0.0 Ready to start TLS\r\n');
          const upstream = connect(upstreamPort, '127.0.0.1', () => {
            if (buffered) upstream.write(Buffer.from(buffered, 'latin1'));
            socket.pipe(upstream).pipe(socket);
          });
          // s_server serves one connection at a time: a client gone must free it at once.
          upstream.on('close', () => socket.destroy());
          socket.on('close', () => upstream.destroy());
          upstream.on('error', () => socket.destroy());
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.on('error', () => undefined);
  });
  fronts.push(front);
  return new Promise((resolve) => front.listen(0, '127.0.0.1', () => resolve((front.address() as { port: number }).port)));
}

async function startForeign(test: Case): Promise<number> {
  const { cert, key } = files.get(test.profile)!;
  if (test.server === 'python') {
    return startProgram('python3', [join(import.meta.dirname, 'fixtures', 'python-starttls.py'), cert, key, test.mode, dhFile], /^(\d+)$/m);
  }
  const modes = { plain: [], tls1: ['-tls1', '-cipher', 'DEFAULT@SECLEVEL=0'], dhe: ['-dhparam', dhFile, '-no_tls1_3', '-cipher', 'DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES128-SHA:@SECLEVEL=0'] };
  const port = await startProgram('openssl', ['s_server', '-accept', '127.0.0.1:0', '-cert', cert, '-key', key, ...modes[test.mode]], /ACCEPT 127\.0\.0\.1:(\d+)/);
  return starttlsFront(port);
}

/** What openssl s_client said: its exit, its first verify error, and the reason of its first error. */
function symptom(result: ProgramResult): string {
  const verify = /verify error:num=(\d+)/.exec(result.output)?.[1] ?? /Verify return code: (\d+)/.exec(result.output)?.[1];
  const reason = /error:[0-9A-F]+:SSL routines:[^:]*:([^:\n]+)/.exec(result.output)?.[1];
  return [`exit ${result.code === 0 ? 'zero' : 'nonzero'}`, verify !== undefined ? `verify ${verify}` : '', reason ?? 'no error'].filter(Boolean).join(', ');
}

describe('capture of servers we did not write: openssl s_client prints the same failure against the capture', () => {
  it.each(CASES)('$name', async (test) => {
    const port = await startForeign(test);
    const findings = await capture({ host: '127.0.0.1', port, implicit: false, helo: 'capture.example.test', starttls: true, timeoutMs: 5000, caFile: ca });
    const out = join(dir, `${test.name.replace(/\W+/g, '-')}.yaml`);
    const written = writeCapture(findings, { out });
    test.expect(written.scenario.tls as Record<string, unknown>);
    const copy = await startScenario(out);
    try {
      const original = symptom(await runJudge('openssl', { port, ca, implicit: false }));
      const captured = symptom(await runJudge('openssl', { port: copy.port, ca, implicit: false }));
      rows.push([test.name, original, captured, original === captured ? 'same' : 'DIFFERENT']);
      expect(captured).toBe(original);
    } finally {
      await copy.close();
    }
  }, 60_000);
});
