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
    const hello = await captureClientHello();
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
    const hello = await captureClientHello();
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

describe('fuzzing the certificate paths: SNI, OCSP stapling, the CRL server, flaky STARTTLS', () => {
  const seed = fuzzSeed();
  const sessions = Math.max(20, fuzzSessions(60) / 2);
  const sni = serveWhileFuzzing('sni-mismatch');
  const stapled = serveWhileFuzzing('revoked-stapled');
  const flaky = serveWhileFuzzing('starttls-flaky');

  it(`mutated hellos that name a server and ask for a staple (seed ${seed}); both still serve their symptom`, async () => {
    const random = new Random(seed ^ 0x0c5b);
    // openssl's hello with server_name and status_request: the SNI callback and the OCSP hook parse these.
    const hello = await captureClientHello(['-servername', 'mx.broken-mta.test', '-status']);
    for (const mta of [sni.server(), stapled.server()]) {
      for (let i = 0; i < sessions; i++) {
        const socket = await rawConnect(mta.port);
        socket.on('error', () => undefined);
        socket.on('data', () => undefined);
        socket.write('EHLO fuzz.example.test\r\nSTARTTLS\r\n');
        await new Promise((resolve) => setTimeout(resolve, 10));
        socket.write(random.next() < 0.8 ? random.mutate(hello) : random.bytes(1 + random.int(600)));
        await new Promise((resolve) => setTimeout(resolve, random.int(20)));
        if (random.next() < 0.5) socket.destroy();
        else socket.end();
      }
      const deadline = Date.now() + 10_000;
      while (mta.openSessions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(mta.openSessions, `seed ${seed}`).toBe(0);
    }
    expect([...sni.unhandled, ...stapled.unhandled], `seed ${seed}`).toEqual([]);
    const named = await opensslStarttls(sni.server().port, ['-CAfile', sni.server().caFile]);
    expect(named.output).toContain('subject=CN = mx.broken-mta.test');
    const status = await opensslStarttls(stapled.server().port, ['-CAfile', stapled.server().caFile, '-status']);
    expect(status.output).toContain('Cert Status: revoked');
  });

  it(`random requests to the CRL server (seed ${seed}); it still serves the CRL`, async () => {
    const random = new Random(seed ^ 0xc41);
    const mta = stapled.server();
    const { port } = new URL(mta.crlUrl!);
    const requests = [
      () => `GET /test-ca.crl HTTP/1.1\r\nHost: x\r\n\r\n`,
      () => `${random.pick(['POST', 'PUT', 'DELETE', 'BREW', 'G\x00T'])} /${random.bytes(8).toString('hex')} HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello`,
      () => `GET /${'a'.repeat(random.int(100_000))} HTTP/1.1\r\n\r\n`,
      () => `GET / HTTP/1.1\r\n${'X-Fuzz: y\r\n'.repeat(random.int(200))}\r\n`,
      () => random.bytes(1 + random.int(2000)).toString('latin1'),
    ];
    for (let i = 0; i < sessions; i++) {
      const socket = await rawConnect(Number(port));
      socket.on('error', () => undefined);
      socket.on('data', () => undefined);
      const request = Buffer.from(random.pick(requests)(), 'latin1');
      socket.write(random.next() < 0.3 ? random.mutate(request) : request);
      await new Promise((resolve) => setTimeout(resolve, random.int(10)));
      if (random.next() < 0.5) socket.resetAndDestroy();
      else socket.end();
    }
    expect(stapled.unhandled, `seed ${seed}`).toEqual([]);
    const response = await fetch(mta.crlUrl!);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).length).toBeGreaterThan(100);
  });

  it(`hostile command streams to starttls-flaky (seed ${seed}); one close per session`, async () => {
    const mta = flaky.server();
    const random = new Random(seed ^ 0xf1a);
    for (let i = 0; i < sessions; i++) await play(mta.port, new Random(random.int(2 ** 31)));
    const deadline = Date.now() + 10_000;
    const closes = () => mta.events.filter((e) => e.type === 'close').length;
    while (closes() < mta.sessions && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closes(), `seed ${seed}`).toBe(mta.sessions);
    expect(flaky.unhandled, `seed ${seed}`).toEqual([]);
  });
});
