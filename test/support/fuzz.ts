// Fuzzing helpers shared by test/fuzz: a hostile client's session (random, mutated and
// huge command lines, binary, abrupt closes and resets), a scenario served for a describe
// block that notes every unhandled rejection or exception meanwhile, and a real ClientHello.
import type { Socket } from 'node:net';
import { afterAll, beforeAll } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { rawConnect, readUntil } from './clients.js';
import type { Random } from './random.js';

export const VALID = [
  'EHLO client.example.test',
  'HELO client.example.test',
  'MAIL FROM:<sender@example.test>',
  'MAIL FROM:<sender@example.test> SIZE=100 BODY=8BITMIME',
  'RCPT TO:<rcpt@example.test>',
  'RCPT TO:<rcpt@example.test> NOTIFY=SUCCESS',
  'DATA',
  'Subject: hi\r\n\r\nbody\r\n.',
  'RSET',
  'NOOP',
  'VRFY postmaster',
  'HELP',
  'AUTH PLAIN AGFsaWNlAHNlY3JldA==',
  'STARTTLS',
  'QUIT',
];

/** One session's worth of client bytes: chunks to write, maybe a close in the middle. */
export function script(random: Random): { chunks: Buffer[]; abortAfter: number | undefined } {
  const chunks: Buffer[] = [];
  const length = 1 + random.int(12);
  for (let i = 0; i < length; i++) {
    const kind = random.int(10);
    if (kind < 5) chunks.push(Buffer.from(random.pick(VALID) + '\r\n'));
    else if (kind < 7) chunks.push(random.mutate(Buffer.from(random.pick(VALID) + '\r\n')));
    else if (kind < 8) chunks.push(random.bytes(1 + random.int(300)));
    else if (kind < 9) chunks.push(Buffer.from(`${random.pick(['MAIL FROM:<', 'RCPT TO:<', 'EHLO ', 'X'])}${'A'.repeat(1000 + random.int(200_000))}\r\n`));
    else chunks.push(Buffer.from(random.pick(VALID).slice(0, random.int(10))));
  }
  return { chunks, abortAfter: random.next() < 0.5 ? random.int(chunks.length) : undefined };
}

export async function play(port: number, random: Random): Promise<void> {
  const { chunks, abortAfter } = script(random);
  let socket: Socket;
  try {
    socket = await rawConnect(port);
  } catch {
    return;
  }
  socket.on('error', () => undefined);
  // Mostly a client that waits for the banner, so the commands reach the parser;
  // sometimes one that talks first.
  if (random.next() < 0.85) await readUntil(socket, /^220 /m, 2000).catch(() => undefined);
  socket.on('data', () => undefined);
  for (const [index, chunk] of chunks.entries()) {
    if (socket.destroyed) break;
    socket.write(chunk);
    await new Promise((resolve) => setTimeout(resolve, random.int(3)));
    if (index === abortAfter) {
      if (random.next() < 0.5) socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  socket.end();
  socket.destroy();
}

/**
 * A scenario served for one describe block, and every unhandled rejection or exception
 * the process sees meanwhile (a fuzz run must cause none).
 */
export function serveWhileFuzzing(scenario: string): { server: () => RunningScenario; unhandled: unknown[] } {
  let mta: RunningScenario | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    mta = await startScenario(scenario, { limits: { idleTimeoutMs: 2000 } });
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    await mta?.close();
  });
  return { server: () => mta!, unhandled };
}

/** A real ClientHello, from openssl, to mutate. */
export async function captureClientHello(port: number): Promise<Buffer> {
  const { createServer } = await import('node:net');
  void port;
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      socket.once('data', (chunk) => {
        resolve(chunk);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port: capturePort } = server.address() as { port: number };
      void import('./clients.js').then(({ run }) =>
        run('openssl', ['s_client', '-connect', `127.0.0.1:${capturePort}`], { timeoutMs: 3000 }).catch(reject),
      );
    });
  });
}
