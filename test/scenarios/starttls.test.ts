// Failures between STARTTLS and a working TLS session, judged by openssl, nodemailer and
// swaks, and by what the server recorded (alerts by number and name).
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { opensslStarttls, rawConnect, readUntil, run, sendWithNodemailer, swaks } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const eventOf = <T extends string>(type: T) => mta!.waitFor((e) => e.type === type);

describe('refusals', () => {
  it('starttls-454: nodemailer fails with ETLS and the 454; swaks prints it', async () => {
    mta = await startScenario('starttls-454');
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(result.error?.code).toBe('ETLS');
    expect(result.error?.message).toContain('454 4.7.0 TLS not available due to local problem');
    const cli = await swaks(mta.port, ['--tls']);
    expect(cli.output).toContain('<** 454 4.7.0 TLS not available due to local problem');
    expect(await eventOf('fault')).toMatchObject({ fault: 'reply', step: 'STARTTLS' });
  });

  it('starttls-502: advertised, then not implemented', async () => {
    mta = await startScenario('starttls-502');
    const cli = await swaks(mta.port, ['--tls']);
    expect(cli.output).toMatch(/<- {2}250[- ]STARTTLS/);
    expect(cli.output).toContain('<** 502 5.5.1 Error: command not implemented');
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(result.error?.message).toContain('502 5.5.1');
  });

  it('starttls-not-advertised: openssl notices; nodemailer delivers in plaintext unless it requires TLS', async () => {
    mta = await startScenario('starttls-not-advertised');
    const client = await opensslStarttls(mta.port);
    expect(client.output).toContain("Didn't find STARTTLS in server response");
    expect((await sendWithNodemailer({ port: mta.port })).error).toBeUndefined();
    expect(mta.messages[0]).toMatchObject({ secure: false });
    const strict = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(strict.ok).toBe(false);
    const cli = await swaks(mta.port, ['--tls']);
    expect(cli.output).toContain('*** Host did not advertise STARTTLS');
  });

  it('tls-required: MAIL in plaintext gets 530; over STARTTLS the mail is delivered', async () => {
    mta = await startScenario('tls-required');
    const plain = await sendWithNodemailer({ port: mta.port, ignoreTLS: true });
    expect(plain.error?.message).toContain('530 5.7.0 Must issue a STARTTLS command first');
    const cli = await swaks(mta.port);
    expect(cli.output).toContain('<** 530 5.7.0 Must issue a STARTTLS command first');
    const secure = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8') });
    expect(secure.error).toBeUndefined();
    expect(mta.messages).toMatchObject([{ secure: true }]);
  });
});

describe('after 220 Ready to start TLS', () => {
  it('abort-reset: the client sees a reset; the server says it did it on purpose', async () => {
    mta = await startScenario('abort-reset');
    const client = await opensslStarttls(mta.port);
    expect(client.output).toMatch(/Connection reset by peer|unexpected eof|errno=104/);
    expect(await eventOf('fault')).toMatchObject({ fault: 'abort-reset', detail: expect.stringContaining('RST') });
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(result.error?.message).toMatch(/ECONNRESET|socket disconnected|closed/i);
  });

  it('abort-garbage: openssl and swaks report a wrong version number', async () => {
    mta = await startScenario('abort-garbage');
    const client = await opensslStarttls(mta.port);
    expect(client.output).toContain('wrong version number');
    const cli = await swaks(mta.port, ['--tls']);
    expect(cli.output).toContain('wrong version number');
    expect(await eventOf('fault')).toMatchObject({ fault: 'abort-garbage', detail: expect.stringMatching(/^read \d+ bytes of ClientHello/) });
  });

  it('abort-alert: the client reports alert 40; the server records the alert it sent', async () => {
    mta = await startScenario('abort-alert');
    const client = await opensslStarttls(mta.port);
    expect(client.output).toContain('sslv3 alert handshake failure');
    expect(client.output).toContain('SSL alert number 40');
    expect(await eventOf('tls-failed')).toMatchObject({ serverAlert: { code: 40, name: 'handshake_failure' } });
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(result.error?.message).toMatch(/handshake failure/);
  });

  it('abort-alert with another number: the client names that alert', async () => {
    mta = await startScenario({
      name: 'abort-alert-70',
      summary: 's',
      imitates: 'i',
      symptoms: [{ client: 'openssl', prints: 'protocol version' }],
      fixes: ['f'],
      tls: { cert: 'valid' },
      faults: [{ fault: 'abort-alert', on: 'TLS', alert: 70 }],
    });
    const client = await opensslStarttls(mta.port);
    expect(client.output).toContain('SSL alert number 70');
    expect(await eventOf('tls-failed')).toMatchObject({ serverAlert: { code: 70, name: 'protocol_version' } });
  });

  it("abort-silence: the client's timeout fires; the server holds the socket until its own timeout", async () => {
    mta = await startScenario('abort-silence', { limits: { idleTimeoutMs: 3000 } });
    const started = Date.now();
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true, transport: { socketTimeout: 1000, greetingTimeout: 1000 } });
    expect(result.error?.message).toMatch(/timed out|timeout/i);
    expect(Date.now() - started).toBeLessThan(2900);
    const fault = await mta.waitFor((e) => e.type === 'fault', { timeoutMs: 5000 });
    expect(fault).toMatchObject({ fault: 'abort-silence', detail: expect.stringContaining('3000 ms') });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
  });

  it('abort-silence: close() ends a session held by the fault at once', async () => {
    mta = await startScenario('abort-silence');
    const socket = await rawConnect(mta.port);
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\nSTARTTLS\r\n');
    await readUntil(socket, /Ready to start TLS/);
    const started = Date.now();
    await mta.close();
    mta = undefined;
    expect(Date.now() - started).toBeLessThan(2000);
    socket.destroy();
  });

  it('abort-midway: a partial real server flight, then EOF', async () => {
    mta = await startScenario('abort-midway');
    const client = await opensslStarttls(mta.port);
    expect(client.output).toMatch(/unexpected eof while reading/);
    const fault = await eventOf('fault');
    expect(fault).toMatchObject({ fault: 'abort-midway', detail: expect.stringMatching(/^sent 100 of \d+ bytes of the server flight/) });
    const flightLength = Number(/of (\d+) bytes/.exec((fault as { detail: string }).detail)![1]);
    expect(flightLength).toBeGreaterThan(100);
  });
});

describe('injection', () => {
  it('starttls-response-injection: the injected lines arrive in the same segment as the 220, before the handshake', async () => {
    mta = await startScenario('starttls-response-injection');
    const socket = await rawConnect(mta.port);
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\n');
    await readUntil(socket, /^250 /m);
    const segment = new Promise<string>((resolve) => socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
    socket.write('STARTTLS\r\n');
    expect(await segment).toBe('220 2.0.0 Ready to start TLS\r\n250-injected: not from the TLS session\r\n250 injected\r\n');
    // The handshake still works over the same socket (a safe client drops those lines).
    const secure = await new Promise<boolean>((resolve) => {
      const tls = tlsConnect({ socket, ca: readFileSync(mta!.caFile), servername: 'mx.broken-mta.test' }, () => resolve(tls.authorized));
      tls.on('error', () => resolve(false));
    });
    expect(secure).toBe(true);
    expect(await eventOf('fault')).toMatchObject({ fault: 'inject', detail: expect.stringContaining('250-injected: not from the TLS session\\r\\n250 injected\\r\\n') });
    socket.destroy();
    // nodemailer is not fooled: it delivers over TLS.
    expect((await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true })).error).toBeUndefined();
  });

  it('starttls-response-injection: swaks is fooled, reading the injected lines as replies inside TLS', async () => {
    mta = await startScenario('starttls-response-injection');
    const cli = await swaks(mta.port, ['--tls']);
    expect(cli.output).toMatch(/=== TLS started[\s\S]*~> EHLO [\s\S]*<~ {2}250-injected: not from the TLS session/);
    expect(cli.code).not.toBe(0);
    expect(mta.messages).toHaveLength(0);
  });

  it('a client that pipelines a command after STARTTLS is warned about; the command never runs inside TLS', async () => {
    mta = await startScenario('good');
    const socket = await rawConnect(mta.port);
    await readUntil(socket, /^220 /m);
    socket.write('EHLO client.example.test\r\n');
    await readUntil(socket, /^250 /m);
    socket.write('STARTTLS\r\nNOOP\r\n'); // one packet: the command-injection pattern
    await readUntil(socket, /Ready to start TLS\r\n/);
    const tls = await new Promise<import('node:tls').TLSSocket>((resolve, reject) => {
      const secure = tlsConnect({ socket, ca: readFileSync(mta!.caFile), servername: 'mx.broken-mta.test' }, () => resolve(secure));
      secure.on('error', reject);
    });
    tls.write('EHLO client.example.test\r\n');
    const inside = await readUntil(tls, /^250 /m);
    expect(inside).not.toMatch(/OK|2\.0\.0 OK/); // no reply to the NOOP inside TLS
    expect(inside).toMatch(/^250-/m);
    const warning = await eventOf('warning');
    expect(warning).toMatchObject({ text: expect.stringContaining('pipelined plaintext after STARTTLS ("NOOP\\r\\n")') });
    expect(mta.events.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.line : ''))).not.toContain('NOOP');
    tls.destroy();
  });
});

describe('implicit TLS', () => {
  it('implicit-tls: openssl without -starttls verifies; nodemailer secure: true delivers', async () => {
    mta = await startScenario('implicit-tls');
    // openssl verifies; nodemailer below shows the SMTP session that follows the handshake.
    const client = await run('openssl', ['s_client', '-connect', `127.0.0.1:${mta.port}`, '-CAfile', mta.caFile, '-servername', 'mx.broken-mta.test'], { input: '' });
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const result = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), transport: { secure: true } });
    expect(result.error).toBeUndefined();
    expect(mta.messages[0]).toMatchObject({ secure: true });
    expect(mta.events.some((e) => e.type === 'starttls')).toBe(false);
  });

  it('implicit-tls: clients that close right after the handshake do not take the server down; one tls-established each', async () => {
    mta = await startScenario('implicit-tls');
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      for (let i = 0; i < 30; i++) {
        await new Promise<void>((resolve) => {
          const socket = tlsConnect({ host: '127.0.0.1', port: mta!.port, ca: readFileSync(mta!.caFile, 'utf8'), servername: 'mx.broken-mta.test' }, () => {
            socket.end();
            socket.destroy();
            resolve();
          });
          socket.on('error', () => resolve());
        });
      }
      const deadline = Date.now() + 3000;
      while (mta.openSessions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(mta.openSessions).toBe(0);
    const established = mta.events.filter((e) => e.type === 'tls-established').map((e) => e.session);
    expect(new Set(established).size).toBe(established.length);
    const delivered = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), transport: { secure: true } });
    expect(delivered.error).toBeUndefined();
    const session = mta.messages[0]!.session;
    expect(mta.events.filter((e) => e.type === 'tls-established' && e.session === session)).toHaveLength(1);
  });

  it('implicit-abort-alert: a client that resets while the fault runs ends its session, and the server serves on', async () => {
    mta = await startScenario('implicit-abort-alert');
    for (let i = 0; i < 5; i++) {
      const socket = await rawConnect(mta.port);
      socket.on('error', () => undefined);
      socket.write(Buffer.from([22, 3, 1, 0, 4, 1, 0, 0, 0]));
      socket.resetAndDestroy();
    }
    const client = await run('openssl', ['s_client', '-connect', `127.0.0.1:${mta.port}`], { input: '' });
    expect(client.output).toContain('SSL alert number 40');
    const deadline = Date.now() + 3000;
    while (mta.openSessions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(mta.openSessions).toBe(0);
    expect(mta.events.filter((e) => e.type === 'close')).toHaveLength(6);
  });

  it('implicit-abort-alert: the alert comes before any SMTP', async () => {
    mta = await startScenario('implicit-abort-alert');
    const client = await run('openssl', ['s_client', '-connect', `127.0.0.1:${mta.port}`], { input: '' });
    expect(client.output).toContain('SSL alert number 40');
    expect(await eventOf('tls-failed')).toMatchObject({ serverAlert: { code: 40, name: 'handshake_failure' } });
    expect(mta.events.some((e) => e.type === 'reply')).toBe(false);
    const cli = await swaks(mta.port, ['--tls-on-connect']);
    expect(cli.code).not.toBe(0);
  });
});

describe('tls10-only', () => {
  it('openssl negotiates TLS 1.0, then refuses its MD5/SHA-1 key-exchange signature (alert 80); at SECLEVEL=0 it completes', async () => {
    mta = await startScenario('tls10-only');
    const strict = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(strict.output).toContain('legacy sigalg disallowed or unsupported');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 80, name: 'internal_error' } });
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-tls1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    expect(lenient.output).toContain('Protocol  : TLSv1\n');
    expect(await mta.waitFor((e) => e.type === 'tls-established')).toMatchObject({ protocol: 'TLSv1' });
  });

  it('nodemailer (Node 20 wants TLS 1.2): the server answers alert 70, protocol_version', async () => {
    mta = await startScenario('tls10-only');
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.ok).toBe(false);
    expect(String(sent.error?.message)).toContain('tlsv1 alert protocol version');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ serverAlert: { code: 70, name: 'protocol_version' } });
  });

  it('gnutls-cli 3.7 still completes a TLS 1.0 handshake', async () => {
    mta = await startScenario('tls10-only');
    const result = await run('gnutls-cli', ['--starttls-proto=smtp', '--port', String(mta.port), '--x509cafile', mta.caFile, '127.0.0.1'], { input: 'QUIT\r\n' });
    expect(result.output).toContain('- Description: (TLS1.0-X.509)');
    expect(await mta.waitFor((e) => e.type === 'tls-established')).toMatchObject({ protocol: 'TLSv1' });
  });
});
