// Issue 19's scenarios under hostile clients: AUTH (each mechanism, its continuations, a
// bare `*`), BDAT chunks whole, cut off and announced wrong, UTF-8 and 8-bit input, the
// by-address forms, among the ordinary commands of smtp-stream.test.ts, mutated, cut off
// and closed or reset at any point. Every session closes exactly once, nothing is left
// open, nothing escapes as an unhandled error, and the server still answers. FUZZ_SESSIONS
// and FUZZ_SEED as there.
import { describe, expect, it } from 'vitest';
import { rawConnect, readUntil } from '../support/clients.js';
import { serveWhileFuzzing, VALID } from '../support/fuzz.js';
import { fuzzSeed, fuzzSessions, Random } from '../support/random.js';

const SCENARIOS = [
  'auth-required-530',
  'auth-bad-credentials-535',
  'auth-temporary-454',
  'auth-mechanism-too-weak-534',
  'auth-login-initial-response',
  'auth-xoauth2-error',
  'smtputf8-missing',
  '8bitmime-missing',
  'pipelining-sync-error',
  'size-lies',
  'chunking-bdat',
  'chunking-bdat-broken',
  'by-address',
];

const COMMANDS = [
  ...VALID,
  'AUTH LOGIN',
  'AUTH LOGIN YWxpY2U=',
  'c2VjcmV0',
  '*',
  'AUTH XOAUTH2 dXNlcj1hAWF1dGg9QmVhcmVyIHQBAQ==',
  '',
  'BDAT 5 LAST\r\nhello',
  'BDAT 12\r\nSubject: x\r\n',
  'BDAT 0 LAST',
  'BDAT 100000',
  'BDAT x',
  // A chunk that begins with more than a command line's worth: the line guard must let it by.
  `BDAT 100000\r\n${'A'.repeat(5000)}`,
  'MAIL FROM:<jösé@example.test> SMTPUTF8',
  'RCPT TO:<rcpt550_5.1.1@example.test>',
  'RCPT TO:<rcpt55@example.test>',
  'RCPT TO:<data554@example.test>',
  'RCPT TO:<quit421@example.test>',
  'Subject: 8 bit ü\r\n\r\nü\r\n.',
];

/** One hostile session: commands whole, mutated or cut off, noise, and a close or reset somewhere. */
async function play(port: number, random: Random): Promise<void> {
  const socket = await rawConnect(port).catch(() => undefined);
  if (!socket) return;
  socket.on('error', () => undefined);
  if (random.next() < 0.85) await readUntil(socket, /^220 /m, 2000).catch(() => undefined);
  socket.on('data', () => undefined);
  const count = 1 + random.int(12);
  for (let i = 0; i < count && !socket.destroyed; i++) {
    // Sometimes several commands in one write (pipelined, or a BDAT chunk with what follows it).
    const lines = Array.from({ length: random.next() < 0.3 ? 2 + random.int(3) : 1 }, () => `${random.pick(COMMANDS)}\r\n`);
    const command = Buffer.from(lines.join(''));
    const kind = random.int(10);
    if (kind < 5) socket.write(command);
    else if (kind < 7) socket.write(random.mutate(command));
    else if (kind < 8) socket.write(random.bytes(1 + random.int(300)));
    else if (kind < 9) socket.write(Buffer.concat([command, Buffer.from(`${random.pick(['MAIL FROM:<', 'RCPT TO:<', 'X'])}${'A'.repeat(1000 + random.int(200_000))}\r\n`)]));
    else socket.write(command.subarray(0, random.int(command.length)));
    await new Promise((resolve) => setTimeout(resolve, random.int(3)));
    if (random.next() < 0.05) return void (random.next() < 0.5 ? socket.resetAndDestroy() : socket.destroy());
  }
  await new Promise((resolve) => setTimeout(resolve, 5));
  socket.end();
  socket.destroy();
}

describe.each(SCENARIOS)('fuzzing %s', (scenario) => {
  const seed = fuzzSeed();
  const sessions = Math.max(12, Math.round(fuzzSessions(60) / 4));
  const { server, unhandled } = serveWhileFuzzing(scenario);

  it(`survives hostile sessions (seed ${seed}); every session closes exactly once, and it still answers EHLO`, async () => {
    const mta = server();
    const random = new Random(seed ^ scenario.length);
    for (let i = 0; i < sessions; i += 4) {
      await Promise.all(Array.from({ length: Math.min(4, sessions - i) }, () => play(mta.port, new Random(random.int(2 ** 31)))));
    }
    const deadline = Date.now() + 10_000;
    while (mta.openSessions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const connects = mta.events.filter((e) => e.type === 'connect').map((e) => e.session);
    const closed = mta.events.filter((e) => e.type === 'close').map((e) => e.session);
    expect([...closed].sort((a, b) => a - b), `seed ${seed}: one close per session`).toEqual([...connects].sort((a, b) => a - b));
    expect(mta.openSessions, `seed ${seed}`).toBe(0);
    expect(unhandled, `seed ${seed}`).toEqual([]);
    const socket = await rawConnect(mta.port);
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\n');
    expect(await readUntil(socket, /^250 /m)).toMatch(/^250[ -]/m);
    socket.destroy();
  });
});
