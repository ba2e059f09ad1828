// Every limit, reached over a real socket: the reply the client sees and the event the
// server records. Small limits keep each test well under a second.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario, type ScenarioInput, type SessionEvent } from '../src/index.js';
import { rawConnect, readUntil } from './support/clients.js';

/** A correct plaintext server: nothing bent, so only the limits act. */
const PLAIN: ScenarioInput = {
  name: 'plain',
  summary: 'plain SMTP, nothing wrong',
  imitates: 'a correct server without TLS',
  symptoms: [{ client: 'openssl', server: 'none' }],
  fixes: ['none needed'],
};

let mta: RunningScenario | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await mta?.close();
  mta = undefined;
});

async function connect(port: number): Promise<Socket> {
  const socket = await rawConnect(port);
  socket.on('error', () => undefined);
  sockets.push(socket);
  return socket;
}

/** Connected and greeted with EHLO. */
async function session(port: number): Promise<Socket> {
  const socket = await connect(port);
  await readUntil(socket, /^220 /m);
  socket.write('EHLO client.example.test\r\n');
  await readUntil(socket, /^250 /m);
  return socket;
}

const limitEvent = (name: string) => (event: SessionEvent) => event.type === 'limit' && event.limit === name;

/** Resolves when the server has closed the socket; rejects after `timeoutMs`. */
function closed(socket: Socket, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.closed) return resolve();
    const timer = setTimeout(() => reject(new Error(`the socket was still open after ${timeoutMs} ms`)), timeoutMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('maxLineBytes', () => {
  it('a command line over the limit gets 500 5.5.2; the session goes on', async () => {
    mta = await startScenario(PLAIN, { limits: { maxLineBytes: 100 } });
    const socket = await session(mta.port);
    // Pipelined around it: the commands before and after it are answered in order.
    socket.write(`NOOP\r\nNOOP ${'x'.repeat(200)}\r\nNOOP\r\n`);
    const replies = await readUntil(socket, /^250 .*\r\n500 .*\r\n250 .*\r\n/m);
    expect(replies).toMatch(/^250 .*\r\n500 5\.5\.2 Line too long\r\n250 /m);
    const event = await mta.waitFor(limitEvent('maxLineBytes'));
    expect(event).toMatchObject({ type: 'limit', limit: 'maxLineBytes', value: 100, detail: 'a line of 207 bytes' });
    // A line of exactly the limit, its CRLF included, passes.
    socket.write(`NOOP ${'y'.repeat(100 - 'NOOP \r\n'.length)}\r\n`);
    expect(await readUntil(socket, /^250 /m)).not.toContain('500');
  });

  it('a 10 MB line with no end is answered at once and not kept; the session goes on', async () => {
    mta = await startScenario(PLAIN, { limits: { maxLineBytes: 4096 } });
    const socket = await session(mta.port);
    const reply = readUntil(socket, /^500 /m);
    const chunk = Buffer.alloc(64 * 1024, 'A');
    let written = 0;
    let answeredAfter: number | undefined;
    void reply.then(() => (answeredAfter = written));
    const deadline = Date.now() + 5000;
    for (; written < 10 * 1024 * 1024 && !socket.destroyed && Date.now() < deadline; written += chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => (socket.once('drain', resolve), setTimeout(resolve, 200)));
    }
    expect(written).toBe(10 * 1024 * 1024);
    expect(await reply).toMatch(/^500 5\.5\.2 Line too long\r\n$/m);
    // The answer came while the line was still arriving, not after the server held it all.
    expect(answeredAfter).toBeLessThan(10 * 1024 * 1024);
    const event = await mta.waitFor(limitEvent('maxLineBytes'));
    expect((event as { detail: string }).detail).toMatch(/no end yet/);
    socket.write('\r\nNOOP\r\n');
    const after = await readUntil(socket, /^250 /m);
    expect(after).not.toMatch(/^421|^500/m);
    expect(mta.events.filter(limitEvent('maxLineBytes'))).toHaveLength(1);
  });

  it('bounds commands only: a longer line inside a message is delivered', async () => {
    mta = await startScenario(PLAIN, { limits: { maxLineBytes: 100 } });
    const socket = await session(mta.port);
    socket.write('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    await readUntil(socket, /^354 /m);
    socket.write(`Subject: long\r\n\r\n${'z'.repeat(300)}\r\n.\r\n`);
    expect(await readUntil(socket, /^250 .*\r\n(?![\s\S]*354)/m)).toMatch(/250 Message accepted/);
    expect(mta.messages[0]!.raw.toString()).toContain('z'.repeat(300));
    expect(mta.events.some(limitEvent('maxLineBytes'))).toBe(false);
  });
});

describe('maxRecipients', () => {
  it('the recipient past the limit gets 452 4.5.3; the message goes to the others', async () => {
    mta = await startScenario(PLAIN, { limits: { maxRecipients: 2 } });
    const socket = await session(mta.port);
    socket.write('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nRCPT TO:<c@example.test>\r\nRCPT TO:<d@example.test>\r\n');
    const replies = await readUntil(socket, /^(?:\d{3} .*\r\n){4}/m);
    expect(replies.trim().split('\r\n').map((line) => line.slice(0, 3))).toEqual(['250', '250', '250', '452']);
    expect(replies).toContain('452 4.5.3 Too many recipients\r\n');
    // The same recipient again is no new recipient.
    socket.write('RCPT TO:<B@example.test>\r\n');
    expect(await readUntil(socket, /^\d{3} /m)).toMatch(/^250 /);
    const event = await mta.waitFor(limitEvent('maxRecipients'));
    expect(event).toMatchObject({ limit: 'maxRecipients', value: 2, detail: 'recipient <d@example.test> refused: 2 already in this message' });
    socket.write('DATA\r\n');
    await readUntil(socket, /^354 /m);
    socket.write('Subject: x\r\n\r\nhi\r\n.\r\n');
    await readUntil(socket, /^250 /m);
    expect(mta.messages[0]!.to).toEqual(['B@example.test', 'c@example.test']);
  });
});

describe('maxConnectionsPerClient', () => {
  it('a session past the limit from one address gets 421 4.7.0 and is closed; one that ends frees a place', async () => {
    mta = await startScenario(PLAIN, { limits: { maxConnectionsPerClient: 2 } });
    const first = await session(mta.port);
    await session(mta.port);
    const third = await connect(mta.port);
    expect(await readUntil(third, /^421 /m)).toBe('421 4.7.0 Too many connections from your address\r\n');
    await closed(third);
    const event = await mta.waitFor(limitEvent('maxConnectionsPerClient'));
    expect(event).toMatchObject({ session: 3, value: 2, detail: '3 sessions open from 127.0.0.1' });
    expect(await mta.waitFor((e) => e.type === 'close' && e.session === 3)).toMatchObject({ by: 'server' });

    first.write('QUIT\r\n');
    await closed(first);
    await mta.waitFor((e) => e.type === 'close' && e.session === 1);
    const fourth = await connect(mta.port);
    expect(await readUntil(fourth, /^\d{3} /m)).toMatch(/^220 /);
  });
});

describe('maxSessionMs', () => {
  it('a busy session is ended at the limit with 421 4.4.2', async () => {
    mta = await startScenario(PLAIN, { limits: { maxSessionMs: 400 } });
    const socket = await session(mta.port);
    const started = Date.now();
    // Busy: a NOOP every 50 ms keeps the idle timeout away.
    const busy = setInterval(() => socket.writable && socket.write('NOOP\r\n'), 50);
    try {
      const seen = await readUntil(socket, /^421 /m, 3000);
      expect(seen).toMatch(/^421 4\.4\.2 Session time limit reached\r\n$/m);
      await closed(socket);
    } finally {
      clearInterval(busy);
    }
    expect(Date.now() - started).toBeLessThan(1500);
    const event = await mta.waitFor(limitEvent('maxSessionMs'));
    expect(event).toMatchObject({ limit: 'maxSessionMs', value: 400 });
    expect(await mta.waitFor((e) => e.type === 'close')).toMatchObject({ by: 'server' });
  });
});

describe('tlsHandshakeTimeoutMs', () => {
  it('STARTTLS and then nothing: the session is closed with a tls-failed event', async () => {
    mta = await startScenario('good', { limits: { tlsHandshakeTimeoutMs: 300 } });
    const socket = await session(mta.port);
    socket.write('STARTTLS\r\n');
    await readUntil(socket, /^220 /m);
    const started = Date.now();
    await closed(socket);
    expect(Date.now() - started).toBeLessThan(1500);
    const failed = await mta.waitFor((e) => e.type === 'tls-failed');
    expect(failed).toMatchObject({ error: 'the TLS handshake timed out: not finished 300 ms after it began' });
    expect(await mta.waitFor(limitEvent('tlsHandshakeTimeoutMs'))).toMatchObject({ value: 300 });
    expect(await mta.waitFor((e) => e.type === 'close')).toMatchObject({ by: 'server' });
    expect(mta.openSessions).toBe(0);
  });

  it('half a ClientHello counts as nothing, and implicit TLS is bounded the same way', async () => {
    mta = await startScenario('implicit-tls', { limits: { tlsHandshakeTimeoutMs: 300 } });
    const socket = await connect(mta.port);
    // A TLS record header promising 512 bytes, then silence.
    socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
    await closed(socket);
    const failed = await mta.waitFor((e) => e.type === 'tls-failed');
    expect(failed).toMatchObject({ error: 'the TLS handshake timed out: not finished 300 ms after it began' });
  });

  it('a handshake that finishes in time is not cut later', async () => {
    mta = await startScenario('good', { limits: { tlsHandshakeTimeoutMs: 300 } });
    const socket = await session(mta.port);
    socket.write('STARTTLS\r\n');
    await readUntil(socket, /^220 /m);
    const secure = tlsConnect({ socket, ca: readFileSync(mta.caFile, 'utf8'), servername: 'mx.broken-mta.test' });
    sockets.push(secure);
    await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
    await new Promise((resolve) => setTimeout(resolve, 500));
    secure.write('EHLO client.example.test\r\n');
    expect(await readUntil(secure, /^250 /m)).toMatch(/^250/);
    expect(mta.events.some(limitEvent('tlsHandshakeTimeoutMs'))).toBe(false);
    expect(mta.events.some((e) => e.type === 'tls-failed')).toBe(false);
  });
});

describe('the older limits say so too', () => {
  it('idleTimeoutMs: 421 and a limit event', async () => {
    mta = await startScenario(PLAIN, { limits: { idleTimeoutMs: 300 } });
    const socket = await session(mta.port);
    expect(await readUntil(socket, /^421 /m, 2000)).toBe('421 Timeout - closing connection\r\n');
    expect(await mta.waitFor(limitEvent('idleTimeoutMs'))).toMatchObject({ value: 300 });
  });

  it('maxMessageBytes: 552 and a limit event', async () => {
    mta = await startScenario(PLAIN, { limits: { maxMessageBytes: 100 } });
    const socket = await session(mta.port);
    socket.write('MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    await readUntil(socket, /^354 /m);
    socket.write(`Subject: big\r\n\r\n${'b'.repeat(500)}\r\n.\r\n`);
    expect(await readUntil(socket, /^552 .*\r\n/m)).toMatch(/^552 5\.3\.4 Message too big/m);
    expect(await mta.waitFor(limitEvent('maxMessageBytes'))).toMatchObject({ value: 100, detail: 'a message of 518 bytes refused' });
    expect(mta.messages).toHaveLength(0);
  });
});
