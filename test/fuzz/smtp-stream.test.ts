// Whatever a client sends, the server keeps serving: random and mutated SMTP command
// streams, huge lines, binary, and abrupt closes at every step. Bounded: a few dozen
// sessions in `npm test`; FUZZ_SESSIONS=2000 for a longer run, FUZZ_SEED to replay one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { opensslStarttls, rawConnect, sendWithNodemailer } from '../support/clients.js';
import { captureClientHello, play, serveWhileFuzzing } from '../support/fuzz.js';
import { fuzzSeed, fuzzSessions, Random } from '../support/random.js';

describe('fuzzing the SMTP command stream', () => {
  const seed = fuzzSeed();
  const sessions = fuzzSessions(60);
  const { server, unhandled } = serveWhileFuzzing('good');

  it(`survives ${sessions} hostile sessions (seed ${seed}) and every session closes exactly once`, async () => {
    const mta = server();
    const random = new Random(seed);
    const parallel = 6;
    for (let i = 0; i < sessions; i += parallel) {
      await Promise.all(Array.from({ length: Math.min(parallel, sessions - i) }, () => play(mta.port, new Random(random.int(2 ** 31)))));
    }
    // Every session the server saw has to end, however the client left.
    const deadline = Date.now() + 10_000;
    const closes = () => mta.events.filter((e) => e.type === 'close').length;
    while (closes() < mta.sessions && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));

    const connects = mta.events.filter((e) => e.type === 'connect').map((e) => e.session);
    const closed = mta.events.filter((e) => e.type === 'close').map((e) => e.session);
    expect(connects.length, `seed ${seed}`).toBe(mta.sessions);
    expect([...closed].sort((a, b) => a - b), `seed ${seed}: one close per session`).toEqual([...connects].sort((a, b) => a - b));
    expect(unhandled, `seed ${seed}`).toEqual([]);

    // And it still serves: plaintext and TLS.
    const delivered = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(delivered.error, `seed ${seed}`).toBeUndefined();
  });

  it('survives random bytes after STARTTLS (Node TLS path)', async () => {
    const mta = server();
    const random = new Random(seed ^ 0x5eed);
    const hello = await captureClientHello(mta.port);
    for (let i = 0; i < Math.max(10, sessions / 3); i++) {
      const socket = await rawConnect(mta.port);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.write('EHLO fuzz.example.test\r\nSTARTTLS\r\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      socket.write(random.next() < 0.5 ? random.mutate(hello) : random.bytes(1 + random.int(600)));
      await new Promise((resolve) => setTimeout(resolve, random.int(20)));
      socket.destroy();
    }
    expect(unhandled, `seed ${seed}`).toEqual([]);
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(client.output).toContain('Verify return code: 0 (ok)');
  });
});

describe('fuzzing the scripted engine behind STARTTLS', () => {
  const seed = fuzzSeed();
  const sessions = Math.max(20, fuzzSessions(60) / 2);
  const { server, unhandled } = serveWhileFuzzing('weak-dh');

  it(`survives ${sessions} mutated hellos and random bytes (seed ${seed}); every session closes once`, async () => {
    const mta = server();
    const random = new Random(seed ^ 0xe791e);
    const hello = await captureClientHello(mta.port);
    for (let i = 0; i < sessions; i++) {
      const socket = await rawConnect(mta.port);
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      socket.write('EHLO fuzz.example.test\r\nSTARTTLS\r\n');
      await new Promise((resolve) => setTimeout(resolve, 10));
      const kind = random.int(3);
      socket.write(kind === 0 ? random.mutate(hello) : kind === 1 ? random.bytes(1 + random.int(600)) : Buffer.concat([hello, random.bytes(random.int(300))]));
      await new Promise((resolve) => setTimeout(resolve, random.int(30)));
      if (random.next() < 0.5) socket.destroy();
      else socket.end();
    }
    const deadline = Date.now() + 10_000;
    const closes = () => mta.events.filter((e) => e.type === 'close').length;
    while (closes() < mta.sessions && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const connects = mta.events.filter((e) => e.type === 'connect').map((e) => e.session);
    const closed = mta.events.filter((e) => e.type === 'close').map((e) => e.session);
    expect([...closed].sort((a, b) => a - b), `seed ${seed}: one close per session`).toEqual([...connects].sort((a, b) => a - b));
    expect(unhandled, `seed ${seed}`).toEqual([]);
    expect(mta.openSessions).toBe(0);
    // And the engine still serves its symptom.
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(client.output).toContain('dh key too small');
  });
});

