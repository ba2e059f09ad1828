// SMTP-level faults, each scenario judged by nodemailer and swaks, and by the events.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenario, startScenario, type RunningScenario, type ScenarioInput } from '../../src/index.js';
import { rawConnect, readUntil, sendWithNodemailer, swaks } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const faults = () => mta!.events.filter((e) => e.type === 'fault');

describe('greylist', () => {
  it('nodemailer: the first attempt per triple is deferred with 450, the retry is delivered', async () => {
    mta = await startScenario('greylist');
    const first = await sendWithNodemailer({ port: mta.port });
    expect(first.error?.code).toBe('EENVELOPE');
    expect(first.error?.message).toContain('450 4.2.0 Greylisted');
    const retry = await sendWithNodemailer({ port: mta.port });
    expect(retry.error).toBeUndefined();
    // Another recipient is another triple: greylisted again.
    const other = await sendWithNodemailer({ port: mta.port, to: ['other@mx.broken-mta.test'] });
    expect(other.error?.message).toContain('450 4.2.0 Greylisted');
    expect(faults().map((e) => e.session)).toEqual([1, 3]);
    expect(mta.messages).toHaveLength(1);
  });

  it('swaks: exit 24 with the 450 first, delivered on the second run', async () => {
    mta = await startScenario('greylist');
    const first = await swaks(mta.port);
    expect(first.code).toBe(24);
    expect(first.output).toContain('<** 450 4.2.0 Greylisted');
    const second = await swaks(mta.port);
    expect(second.code).toBe(0);
    await mta.waitFor((e) => e.type === 'message');
  });
});

describe('tarpit', () => {
  it('nodemailer with a short greeting timeout gives up; with defaults it delivers, slowly', async () => {
    mta = await startScenario('tarpit');
    const impatient = await sendWithNodemailer({ port: mta.port, transport: { greetingTimeout: 1000 } });
    expect(impatient.error?.message).toMatch(/Greeting never received/);
    const started = Date.now();
    const patient = await sendWithNodemailer({ port: mta.port, transport: { greetingTimeout: 10_000, socketTimeout: 10_000 } });
    expect(patient.error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(faults().some((e) => e.fault === 'delay' && e.step === 'CONNECT' && e.detail === 'waited 2000 ms')).toBe(true);
    expect(faults().some((e) => e.fault === 'delay' && e.step === 'RCPT')).toBe(true);
  });

  it('a client that pipelines QUIT after the final dot and stops writing (as Exim does) still gets the delayed 250 and 221', async () => {
    mta = await startScenario('tarpit');
    const socket = await rawConnect(mta.port);
    await readUntil(socket, /^220 /m, 5000);
    for (const [command, reply] of [['EHLO client.example.test', /^250 /m], ['MAIL FROM:<a@example.test>', /^250 /m], ['RCPT TO:<b@example.test>', /^250 /m], ['DATA', /^354 /m]] as const) {
      socket.write(`${command}\r\n`);
      await readUntil(socket, reply, 5000);
    }
    // One write, then shutdown(SHUT_WR): the server must not take the FIN for the end of the session.
    socket.end('Subject: half-close\r\n\r\nhi\r\n.\r\nQUIT\r\n');
    const rest = await readUntil(socket, /^221 /m, 5000);
    expect(rest).toMatch(/^250 Message accepted\r\n221 /m);
    await mta.waitFor((e) => e.type === 'close');
    expect(mta.messages).toHaveLength(1);
    expect(faults().some((e) => e.fault === 'delay' && e.step === 'END-OF-DATA')).toBe(true);
  });

  it('swaks with --timeout 1 times out waiting for the banner', async () => {
    mta = await startScenario('tarpit');
    const result = await swaks(mta.port, ['--timeout', '1']);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Timeout/i);
  });
});

describe('rate-limit-421', () => {
  it('nodemailer: two messages go through, the third meets 421', async () => {
    mta = await startScenario('rate-limit-421');
    expect((await sendWithNodemailer({ port: mta.port })).error).toBeUndefined();
    expect((await sendWithNodemailer({ port: mta.port })).error).toBeUndefined();
    const third = await sendWithNodemailer({ port: mta.port });
    expect(third.error?.message).toContain('421 4.7.0 Too many connections from your host');
    expect(faults()).toMatchObject([{ fault: 'reply', step: 'CONNECT', session: 3 }]);
  });

  it('swaks: the third run prints the 421', async () => {
    mta = await startScenario('rate-limit-421');
    await swaks(mta.port);
    await swaks(mta.port);
    const third = await swaks(mta.port);
    expect(third.code).not.toBe(0);
    expect(third.output).toContain('421 4.7.0 Too many connections');
  });
});

describe('mailbox-full-452', () => {
  it('nodemailer and swaks see the temporary 452', async () => {
    mta = await startScenario('mailbox-full-452');
    const result = await sendWithNodemailer({ port: mta.port });
    expect(result.error?.message).toContain('452 4.2.2 Mailbox full');
    const cli = await swaks(mta.port);
    expect(cli.code).toBe(24);
    expect(cli.output).toContain('<** 452 4.2.2 Mailbox full');
    expect(faults().every((e) => e.step === 'RCPT')).toBe(true);
    expect(mta.messages).toHaveLength(0);
  });
});

describe('user-unknown-550', () => {
  it('only the matching addresses are refused', async () => {
    mta = await startScenario('user-unknown-550');
    const unknown = await sendWithNodemailer({ port: mta.port, to: ['nobody@mx.broken-mta.test'] });
    expect(unknown.error?.message).toContain('550 5.1.1 User unknown');
    const mixed = await sendWithNodemailer({ port: mta.port, to: ['nobody@mx.broken-mta.test', 'alice@mx.broken-mta.test'] });
    expect(mixed.error).toBeUndefined();
    expect(mixed.rejected).toEqual(['nobody@mx.broken-mta.test']);
    expect(mta.messages.map((m) => m.to)).toEqual([['alice@mx.broken-mta.test']]);
    const cli = await swaks(mta.port, ['--to', 'unknown@mx.broken-mta.test']);
    expect(cli.code).toBe(24);
    expect(cli.output).toContain('<** 550 5.1.1 User unknown');
  });
});

describe('helo-only', () => {
  it('nodemailer and swaks fall back to HELO and deliver', async () => {
    mta = await startScenario('helo-only');
    expect((await sendWithNodemailer({ port: mta.port })).error).toBeUndefined();
    const cli = await swaks(mta.port);
    expect(cli.code).toBe(0);
    expect(cli.output).toContain('<** 502 5.5.2 Error: command not recognized');
    expect(cli.output).toMatch(/ -> HELO /);
    const commands = mta.events.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.step : ''));
    expect(commands.filter((step) => step === 'HELO')).toHaveLength(2);
    expect(mta.messages).toHaveLength(2);
  });
});

describe('pregreet-554', () => {
  it('a client that talks before the banner gets 554 and is disconnected', async () => {
    mta = await startScenario('pregreet-554');
    const spammer = await rawConnect(mta.port);
    spammer.write('EHLO spam.example.test\r\n');
    const seen = await readUntil(spammer, /^554 /m);
    expect(seen).not.toMatch(/^220 /m);
    expect(seen).toContain('554 5.5.0 Error: pre-greeting traffic');
    await new Promise((resolve) => spammer.once('close', resolve));
    expect(faults()[0]).toMatchObject({ fault: 'greet-pause', detail: expect.stringContaining('talked before the greeting') });
  });

  it('nodemailer and swaks wait for the banner and deliver', async () => {
    mta = await startScenario('pregreet-554');
    expect((await sendWithNodemailer({ port: mta.port })).error).toBeUndefined();
    expect((await swaks(mta.port)).code).toBe(0);
    expect(mta.messages).toHaveLength(2);
  });
});

describe('size-552', () => {
  it('advertises SIZE 10000 and refuses a larger message with 552', async () => {
    mta = await startScenario('size-552');
    const big = await sendWithNodemailer({ port: mta.port, message: { text: 'x'.repeat(20_000) } });
    expect(big.error?.message).toMatch(/552 /);
    expect((await sendWithNodemailer({ port: mta.port })).error).toBeUndefined();
    const cli = await swaks(mta.port, ['--body', 'y'.repeat(20_000)]);
    expect(cli.output).toMatch(/<- {2}250[- ]SIZE 10000/);
    expect(cli.output).toMatch(/<\*\* 552 /);
    expect(mta.messages).toHaveLength(1);
  });
});

describe('data-timeout', () => {
  it('the message is received but never acknowledged; the retry shows as a duplicate', async () => {
    mta = await startScenario('data-timeout');
    const message = { messageId: '<retry-me@client.example.test>' };
    const first = await sendWithNodemailer({ port: mta.port, transport: { socketTimeout: 1500 }, message });
    expect(first.error?.code).toMatch(/ETIMEDOUT/);
    const retry = await sendWithNodemailer({ port: mta.port, transport: { socketTimeout: 1500 }, message });
    expect(retry.ok).toBe(false);
    expect(mta.messages).toHaveLength(2);
    const duplicate = await mta.waitFor((e) => e.type === 'warning' && e.text.startsWith('duplicate'));
    expect(duplicate).toMatchObject({ session: 2, text: expect.stringContaining('<retry-me@client.example.test>') });
    expect(faults().every((e) => e.fault === 'hang' && e.step === 'END-OF-DATA')).toBe(true);
  });

  it('swaks times out waiting for the reply to the dot', async () => {
    mta = await startScenario('data-timeout');
    const cli = await swaks(mta.port, ['--timeout', '2']);
    expect(cli.code).not.toBe(0);
    expect(cli.output).toMatch(/Timeout/i);
    await mta.waitFor((e) => e.type === 'message');
  });
});

describe('any fault combines with TLS', () => {
  it('greylisting inside a verified STARTTLS session', async () => {
    const greylist = loadScenario('greylist');
    const combined: ScenarioInput = { ...greylist, name: 'greylist-over-tls', tls: { cert: 'valid' } };
    mta = await startScenario(combined);
    const ca = readFileSync(mta.caFile, 'utf8');
    const first = await sendWithNodemailer({ port: mta.port, ca, requireTLS: true });
    expect(first.error?.message).toContain('450 4.2.0 Greylisted');
    const retry = await sendWithNodemailer({ port: mta.port, ca, requireTLS: true });
    expect(retry.error).toBeUndefined();
    expect(mta.messages[0]).toMatchObject({ secure: true });
    const firstSession = mta.events.filter((e) => e.session === 1).map((e) => e.type);
    expect(firstSession.indexOf('fault')).toBeGreaterThan(firstSession.indexOf('tls-established'));
  });
});

describe('faults without a catalogue scenario of their own', () => {
  const inline = (faults: ScenarioInput['faults']): ScenarioInput => ({
    name: 'inline-fault',
    summary: 's',
    imitates: 'i',
    symptoms: [{ client: 'swaks', prints: 't' }],
    fixes: ['f'],
    faults,
  });

  it('drip: the reply to RCPT arrives one byte every 20 ms, and swaks still delivers', async () => {
    mta = await startScenario(inline([{ fault: 'drip', on: 'RCPT', msPerByte: 20 }]));
    const started = Date.now();
    const cli = await swaks(mta.port);
    expect(cli.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(20 * '250 Accepted\r\n'.length);
    expect(faults()).toMatchObject([{ fault: 'drip', step: 'RCPT' }]);
  });

  it('close: MAIL gets no reply, the connection just ends', async () => {
    mta = await startScenario(inline([{ fault: 'close', on: 'MAIL' }]));
    const result = await sendWithNodemailer({ port: mta.port });
    expect(result.error?.message).toMatch(/Connection closed|unexpectedly/i);
    expect(await mta.waitFor((e) => e.type === 'close')).toMatchObject({ by: 'server' });
  });

  it('reset: RCPT is answered with a TCP RST', async () => {
    mta = await startScenario(inline([{ fault: 'reset', on: 'RCPT' }]));
    // Linux shows the RST as ECONNRESET; a sandboxed network stack (gVisor) as a plain
    // close. Either way: no reply to RCPT, and the connection is gone at once.
    const socket = await rawConnect(mta.port);
    let seen = '';
    socket.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const ended = new Promise<string>((resolve) => {
      socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      socket.once('close', () => resolve('close'));
    });
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\nMAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\n');
    expect(['ECONNRESET', 'close']).toContain(await ended);
    expect(seen.match(/^250 /gm)).toHaveLength(2); // EHLO and MAIL; RCPT got nothing
    expect(await mta.waitFor((e) => e.type === 'close')).toMatchObject({ by: 'server' });
    expect(faults()).toMatchObject([{ fault: 'reset', step: 'RCPT', detail: 'reset the connection (RST)' }]);
  });
});
