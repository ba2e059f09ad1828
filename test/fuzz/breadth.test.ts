// The reply-grammar and TLS-stream scenarios under hostile clients: the same random,
// mutated and cut-off command streams as smtp-stream.test.ts, and, for the TLS ones, broken
// ClientHellos and real handshakes abandoned at random points (a throttled or stalled link
// holds writes when the client goes). Every session closes exactly once, nothing is left
// open, and nothing escapes as an unhandled error. FUZZ_SESSIONS and FUZZ_SEED as there.
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { catalogueNames } from '../../src/scenario/load.js';
import { rawConnect } from '../support/clients.js';
import { captureClientHello, play, VALID } from '../support/fuzz.js';
import { fuzzSeed, fuzzSessions, Random } from '../support/random.js';

const GRAMMAR = catalogueNames().filter((name) => /^(reply-|greeting-)/.test(name));
const TLS_STREAM = catalogueNames().filter((name) => name.startsWith('tls-') && name !== 'tls-required' && name !== 'tls10-only');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A client that asks for STARTTLS, then sends a broken hello, noise, or a real handshake it abandons. */
async function playTls(port: number, random: Random, hello: Buffer): Promise<void> {
  let socket: Socket;
  try {
    socket = await rawConnect(port);
  } catch {
    return;
  }
  socket.on('error', () => undefined);
  socket.on('data', () => undefined);
  socket.write('EHLO fuzz.example.test\r\nSTARTTLS\r\n');
  await pause(20);
  const kind = random.int(3);
  if (kind < 2) {
    socket.write(kind === 0 ? random.mutate(hello) : random.bytes(1 + random.int(600)));
  } else {
    socket.removeAllListeners('data');
    const secure = tlsConnect({ socket, rejectUnauthorized: false, servername: 'mx.broken-mta.test' });
    secure.on('error', () => undefined);
    secure.on('data', () => undefined);
    secure.once('secureConnect', () => secure.write(`${random.pick(VALID)}\r\n${random.pick(VALID)}\r\n`));
  }
  await pause(random.int(1500));
  if (random.next() < 0.5) socket.resetAndDestroy();
  else socket.destroy();
}

/** Every session the server saw ends once, none is left open, no unhandled error (in any test of this file). */
async function expectAllClosed(mta: RunningScenario, seed: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  const closes = () => mta.events.filter((e) => e.type === 'close').length;
  while ((closes() < mta.sessions || mta.openSessions > 0) && Date.now() < deadline) await pause(50);
  const connects = mta.events.filter((e) => e.type === 'connect').map((e) => e.session);
  const closed = mta.events.filter((e) => e.type === 'close').map((e) => e.session);
  expect([...closed].sort((a, b) => a - b), `seed ${seed}: one close per session`).toEqual([...connects].sort((a, b) => a - b));
  expect(mta.openSessions, `seed ${seed}`).toBe(0);
  expect(unhandled, `seed ${seed}`).toEqual([]);
}

/** Serves the scenario, plays `sessions` clients six at a time, and checks how they all ended. */
async function fuzz(scenario: string, seed: number, client: (port: number, random: Random) => Promise<void>): Promise<void> {
  const mta = await startScenario(scenario, { limits: { idleTimeoutMs: 2000 } });
  try {
    const random = new Random(seed);
    const sessions = fuzzSessions(12);
    for (let i = 0; i < sessions; i += 6) {
      await Promise.all(Array.from({ length: Math.min(6, sessions - i) }, () => client(mta.port, new Random(random.int(2 ** 31)))));
    }
    await expectAllClosed(mta, seed);
  } finally {
    await mta.close();
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
});
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
});

describe.concurrent('fuzzing the reply-grammar and TLS-stream scenarios, side by side', () => {
  const seed = fuzzSeed();
  let hello: Promise<Buffer> | undefined;

  for (const scenario of GRAMMAR) {
    it(`${scenario} survives hostile command streams (seed ${seed})`, { timeout: 60_000 }, () => fuzz(scenario, seed, play));
  }
  for (const scenario of TLS_STREAM) {
    it(`${scenario} survives broken hellos, abandoned handshakes and hostile command streams (seed ${seed})`, { timeout: 60_000 }, async () => {
      hello ??= captureClientHello();
      const clientHello = await hello;
      let turn = 0;
      await fuzz(scenario, seed ^ 0x7157, (port, random) => (turn++ % 2 ? play(port, random) : playTls(port, random, clientHello)));
    });
  }
});
