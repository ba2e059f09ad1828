// Faults on the encrypted stream, on both TLS engines: what the catalogue's tls-* pages
// claim with openssl and nodemailer for one engine (test/claims), held here for the other
// too, with timings and the TCP connection's own end where no client prints them.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Duplex } from 'node:stream';
import { describe, expect, it, type TestContext } from 'vitest';
import { startScenario, type RunningScenario, type ScenarioInput, type SessionEvent } from '../../src/index.js';
import { opensslStarttls, readUntil, sendWithNodemailer } from '../support/clients.js';

const ENGINES = ['node', 'scripted'] as const;
type Engine = (typeof ENGINES)[number];

/** A server for one test, closed when that test ends (its own context's hook: the tests run side by side). */
const serve = async ({ onTestFinished }: TestContext, engine: Engine, faults: ScenarioInput['faults'], idleTimeoutMs = 8000) => {
  const mta = await startScenario({ name: `stream-${engine}`, tls: { cert: 'valid', engine }, faults }, { limits: { idleTimeoutMs } });
  onTestFinished(() => mta.close());
  return mta;
};

const at = (mta: RunningScenario, type: SessionEvent['type'], from = 0) => mta.events.findIndex((event, index) => index >= from && event.type === type);
const timeOf = (mta: RunningScenario, index: number) => Date.parse(mta.events[index]!.time);
const TRANSACTION = 'EHLO client.example.test\nMAIL FROM:<a@example.test>\nRCPT TO:<b@example.test>\nDATA\nSubject: s\n\nhello\n.\nQUIT\n';

describe.concurrent.each(ENGINES)('on the %s engine', (engine) => {
  it('throttle: the handshake takes as long as its flight needs at the rate, and the mail goes through', async (context) => {
    const mta = await serve(context, engine, [{ fault: 'throttle', on: 'TLS', bytesPerSecond: 1000 }]);
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-ign_eof'], TRANSACTION);
    expect(client.output).toContain('250 Message accepted');
    // Node's TLS 1.3 flight is about 1.6 KB, the engine's TLS 1.2 one about 3.3 KB.
    expect(timeOf(mta, at(mta, 'tls-established')) - timeOf(mta, at(mta, 'starttls'))).toBeGreaterThanOrEqual(1000);
  });

  it('stall: after the handshake, no reply and no command run for the stall; then the session goes on', async (context) => {
    const mta = await serve(context, engine, [{ fault: 'stall', on: 'TLS', ms: 1500 }]);
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.error).toBeUndefined();
    const established = at(mta, 'tls-established');
    expect(timeOf(mta, at(mta, 'reply', established)) - timeOf(mta, established)).toBeGreaterThanOrEqual(1400);
  });

  it('close-notify: close_notify after the 250, and the FIN only when the server gives up (its half-close deadline)', async (context) => {
    const mta = await serve(context, engine, [{ fault: 'close-notify', on: 'END-OF-DATA', at: 'after-reply' }], 1500);
    const raw = await new Promise<Socket>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: mta.port }, () => resolve(socket));
    });
    await readUntil(raw, /^220 /m);
    raw.write('EHLO client.example.test\r\n');
    await readUntil(raw, /^250 /m);
    raw.write('STARTTLS\r\n');
    await readUntil(raw, /^220 /m);
    // TLS over a stream of our own on the TCP socket, so that TCP's end is seen apart from TLS's.
    const under = new Duplex({ read: () => undefined, write: (chunk, _encoding, done) => void raw.write(chunk, () => done()) });
    raw.on('data', (chunk: Buffer) => under.push(chunk));
    const fin = new Promise<number>((resolve) => raw.once('end', () => (resolve(Date.now()), under.push(null))));
    const secure = tlsConnect({ socket: under, ca: readFileSync(mta.caFile), servername: 'mx.broken-mta.test' });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const notified = new Promise<number>((resolve) => secure.once('end', () => resolve(Date.now())));
    secure.write('EHLO client.example.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n');
    await readUntil(secure, /^354 /m);
    secure.write('Subject: s\r\n\r\nhello\r\n.\r\n');
    await readUntil(secure, /^250 Message accepted/m);
    const notifiedAt = await notified;
    expect((await fin) - notifiedAt).toBeGreaterThanOrEqual(1000);
    expect(await mta.waitFor((event) => event.type === 'close')).toMatchObject({ by: 'server' });
    secure.destroy();
    raw.destroy();
  });

  it('truncate: the 250, then the TCP end with no close_notify (OpenSSL: unexpected eof)', async (context) => {
    const mta = await serve(context, engine, [{ fault: 'truncate', on: 'END-OF-DATA', at: 'after-reply' }]);
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-ign_eof'], TRANSACTION);
    expect(client.output).toContain('250 Message accepted');
    expect(client.output).toContain('unexpected eof while reading');
    expect(await mta.waitFor((event) => event.type === 'close')).toMatchObject({ by: 'server' });
  });

  it('reset at DATA, at next-bytes: the 354, then a RST as the message comes; none of it is kept', async (context) => {
    const mta = await serve(context, engine, [{ fault: 'reset', on: 'DATA', at: 'next-bytes', secure: true }]);
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true, message: { text: 'x'.repeat(200_000) } });
    expect(sent.error?.code).toBe('ESOCKET');
    expect(mta.messages).toHaveLength(0);
    expect(await mta.waitFor((event) => event.type === 'close')).toMatchObject({ by: 'server' });
  });
});

describe.concurrent('what the schema refuses', () => {
  it('record-size on Node\'s engine, which cannot be told its record sizes', async () => {
    await expect(startScenario({ name: 'x', tls: { cert: 'valid' }, faults: [{ fault: 'record-size', on: 'TLS', bytes: 1 }] })).rejects.toThrow(
      'faults.0.fault: record-size needs engine: scripted (this scenario\'s is node)',
    );
  });

  it('a fault on the encrypted stream without a tls section; at: after-reply at TLS, where no reply comes', async () => {
    await expect(startScenario({ name: 'x', faults: [{ fault: 'truncate', on: 'QUIT' }] })).rejects.toThrow('faults.0.fault: truncate acts on TLS and needs a tls section');
    await expect(startScenario({ name: 'x', tls: { cert: 'valid' }, faults: [{ fault: 'reset', on: 'TLS', at: 'after-reply' }] })).rejects.toThrow(
      'faults.0.at: at TLS there is no reply to come after',
    );
  });
});
