// What capture meets when the host is not a working SMTP server, as a user meets it on the
// command line: one line naming the problem, exit 1, within --timeout, memory bounded, and
// nothing written to --out. All on loopback: a port nobody listens on, a listener whose
// queue is full (a host that never answers), one that never greets, one that floods, an
// HTTP server.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NotSmtpError, ReplyReader } from '../../src/smtp/reply-reader.js';
import type { ProgramResult } from '../support/clients.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');
const TIMEOUT_MS = 1500;
/** Node's own start and exit, on a busy 2-core machine. */
const SLACK_MS = 2500;

let dir: string;
const cleanups: Array<() => void> = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'broken-mta-capture-bad-'));
});
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run extends ProgramResult {
  elapsedMs: number;
  /** The child's peak resident memory (VmHWM), in kB. */
  peakKb: number;
}

/** `broken-mta capture`, with the child's peak memory read from /proc while it runs. */
function capture(target: string, ...extra: string[]): Promise<Run> {
  const started = Date.now();
  const child: ChildProcess = spawn('node', [CLI, 'capture', target, '--timeout', String(TIMEOUT_MS), '--out', join(dir, 'out.yaml'), ...extra]);
  let stdout = '';
  let stderr = '';
  let peakKb = 0;
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const sample = setInterval(() => {
    try {
      peakKb = Math.max(peakKb, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'latin1'))?.[1] ?? 0));
    } catch {
      // gone already
    }
  }, 5);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearInterval(sample);
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, output: stdout + stderr, elapsedMs: Date.now() - started, peakKb });
    });
  });
}

/** One line naming the problem (after the progress lines), exit 1, in time, nothing on stdout or in --out. */
function expectFailure(result: Run, line: RegExp): void {
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines.filter((text) => !text.startsWith('capture: '))).toEqual([expect.stringMatching(line)]);
  expect(lines[lines.length - 1]).toMatch(/^broken-mta: capture failed: /);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(readdirSync(dir)).toEqual([]);
}

function listen(server: Server): Promise<number> {
  cleanups.push(() => server.close());
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

describe('capture of what is not a working SMTP server', () => {
  it('a refused port', async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise((resolve) => server.close(resolve));
    expectFailure(await capture(`127.0.0.1:${port}`), /127\.0\.0\.1:\d+: connection refused \(nothing listens on that port\)$/);
  });

  it('a host that never answers (a listener whose queue is full drops the SYN, as a filtered host does)', async () => {
    const python = spawn('python3', ['-c', "import socket,time\ns=socket.socket();s.bind(('127.0.0.1',0));s.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)"]);
    cleanups.push(() => python.kill('SIGKILL'));
    const port = await new Promise<number>((resolve) => python.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    // The one connection its queue holds: the next SYN goes unanswered.
    const filler: Socket = connect(port, '127.0.0.1');
    cleanups.push(() => filler.destroy());
    await new Promise((resolve) => filler.once('connect', resolve));
    expectFailure(await capture(`127.0.0.1:${port}`), /no answer to the connection within 1500 ms \(host down, unreachable or filtered\)$/);
  });

  it('a server that never greets', async () => {
    const held: Socket[] = [];
    const port = await listen(createServer((socket) => held.push(socket)));
    cleanups.push(() => held.forEach((socket) => socket.destroy()));
    expectFailure(await capture(`127.0.0.1:${port}`), /no SMTP greeting \(nothing within 1500 ms; is it an SMTP server\?\)$/);
  });

  it('a peer that sends 10 MB without a newline: refused at the first 4 kB, in bounded memory', async () => {
    const baseline = await capture(`127.0.0.1:${await listen(createServer(() => undefined))}`);
    const port = await listen(
      createServer((socket) => {
        socket.on('error', () => undefined);
        socket.end(Buffer.alloc(10 * 1024 * 1024, 'x'));
      }),
    );
    const result = await capture(`127.0.0.1:${port}`);
    expectFailure(result, /not an SMTP server: a line of over 4096 bytes without a newline \("x{60}\.\.\."\)$/);
    // Holding the 10 MB (as a Buffer and a string) would add 20 MB or more.
    expect(result.peakKb - baseline.peakKb).toBeLessThan(8 * 1024);
  });

  it('an HTTP server: it waits for a request, and capture waits for a greeting', async () => {
    const http = createHttpServer((_request, response) => response.end('hello'));
    const port = await listen(http as unknown as Server);
    cleanups.push(() => http.closeAllConnections());
    expectFailure(await capture(`127.0.0.1:${port}`), /no SMTP greeting \(nothing within 1500 ms; is it an SMTP server\?\)$/);
  });

  it('an HTTP server that answers at once is named for what it says', async () => {
    const port = await listen(createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')));
    expectFailure(await capture(`127.0.0.1:${port}`), /not an SMTP server: a line that is not an SMTP reply: "HTTP\/1\.1 400 Bad Request"$/);
  });

  it('bad arguments are bad input: one line, exit 2', async () => {
    for (const [target, extra, line] of [
      ['127.0.0.1:99999', [], /"127\.0\.0\.1:99999" is not HOST\[:PORT\]/],
      ['127.0.0.1:25', ['--ca', join(dir, 'missing.pem')], /--ca .*missing\.pem: no such file/],
    ] as const) {
      const result = await capture(target, ...extra);
      expect(result.code).toBe(2);
      expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
    }
    expect(existsSync(join(dir, 'out.yaml'))).toBe(false);
  });
});

describe('the reply reader holds at most one line', () => {
  it('10 MB in 64 kB chunks: it throws at the first chunk that passes 4096 bytes without a newline', () => {
    const reader = new ReplyReader();
    expect(() => reader.push(Buffer.from('220-first line\r\n220-'))).not.toThrow();
    expect(() => reader.push(Buffer.alloc(64 * 1024, 'x'))).toThrow(NotSmtpError);
  });

  it('a reply of 201 lines is not a reply', () => {
    const reader = new ReplyReader();
    expect(() => reader.push(Buffer.from('250-x\r\n'.repeat(201)))).toThrow(/over 200 lines/);
  });
});
