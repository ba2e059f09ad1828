// The scripted engine's scenarios, judged by real clients: openssl s_client, gnutls-cli and
// nodemailer over STARTTLS, with the server's events recording the client's side.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario, type ScenarioInput } from '../../src/index.js';
import { gnutlsStarttls, opensslStarttls, run, sendWithNodemailer } from '../support/clients.js';
import { tempDir } from '../support/temp.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const SMTP_SESSION = 'EHLO client.example.test\nMAIL FROM:<sender@client.example.test>\nRCPT TO:<rcpt@mx.broken-mta.test>\nDATA\nSubject: over the engine\n\nhello\n.\nQUIT\n';

const engine2048: ScenarioInput = {
  name: 'engine-dhe-2048',
  summary: 'The scripted engine with a good group',
  imitates: 'a correct DHE server',
  symptoms: [{ client: 'openssl', server: 'TLS established' }],
  fixes: ['none needed'],
  tls: { engine: 'scripted', dh: 2048 },
};

describe('the engine is correct: a 2048-bit group, every suite and version', () => {
  const cases = [
    { args: ['-tls1_2', '-cipher', 'DHE-RSA-AES128-GCM-SHA256'], protocol: 'TLSv1.2', cipher: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256' },
    { args: ['-tls1_2', '-cipher', 'DHE-RSA-AES256-GCM-SHA384'], protocol: 'TLSv1.2', cipher: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384' },
    { args: ['-tls1_2', '-cipher', 'DHE-RSA-AES128-SHA'], protocol: 'TLSv1.2', cipher: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA' },
    { args: ['-tls1_2', '-cipher', 'DHE-RSA-AES256-SHA'], protocol: 'TLSv1.2', cipher: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA' },
    { args: ['-tls1_1', '-cipher', 'DHE-RSA-AES128-SHA:@SECLEVEL=0'], protocol: 'TLSv1.1', cipher: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA' },
    { args: ['-tls1', '-cipher', 'DHE-RSA-AES256-SHA:@SECLEVEL=0'], protocol: 'TLSv1', cipher: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA' },
  ];

  it.each(cases)('openssl $args: Server Temp Key: DH, 2048 bits, and the message arrives', async ({ args, protocol, cipher }) => {
    mta = await startScenario(engine2048);
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-ign_eof', ...args], SMTP_SESSION);
    expect(result.output).toContain('Server Temp Key: DH, 2048 bits');
    expect(result.output).toContain(`Protocol  : ${protocol}`);
    expect(result.output).toContain('Verify return code: 0 (ok)');
    expect(result.output).toMatch(/250 Message accepted/);
    const established = await mta.waitFor((e) => e.type === 'tls-established');
    expect(established).toMatchObject({ protocol, cipher, keyExchange: { kind: 'DHE', group: '2048', bits: 2048 } });
    await mta.waitFor((e) => e.type === 'message');
    expect(mta.messages[0]).toMatchObject({ secure: true, tls: { protocol, cipher } });
    expect(mta.messages[0]!.raw.toString()).toContain('Subject: over the engine');
  });

  it('nodemailer (Node TLS, verifying the test CA) delivers over the engine', async () => {
    mta = await startScenario(engine2048);
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.error).toBeUndefined();
    expect(sent.ok).toBe(true);
    expect(mta.messages[0]).toMatchObject({ secure: true, tls: { protocol: 'TLSv1.2' } });
  });

  it('a 4 MB message arrives whole over the engine (records, backpressure)', async () => {
    mta = await startScenario(engine2048);
    const text = 'abcdefghij'.repeat(6).concat('\r\n').repeat(65_000);
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true, message: { text } });
    expect(sent.error).toBeUndefined();
    expect(mta.messages).toHaveLength(1);
    expect(mta.messages[0]!.raw.toString()).toContain(text);
    expect(mta.messages[0]!.raw.length).toBeGreaterThan(text.length);
  });

  it('gnutls-cli completes the handshake and the SMTP session goes on', async () => {
    mta = await startScenario(engine2048);
    const result = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile], 'EHLO client.example.test\r\nQUIT\r\n');
    expect(result.output).toContain('(DHE-CUSTOM2048)');
    expect(result.output).toContain('- Handshake was completed');
    expect(result.output).toMatch(/250[- ]/);
    await mta.waitFor((e) => e.type === 'tls-established');
    await mta.waitFor((e) => e.type === 'command' && e.line.startsWith('EHLO') && e.session === 1);
  });
});

describe('implicit TLS on the engine (port 465 style)', () => {
  it('openssl s_client -connect: the handshake comes first, then the greeting and the session over it', async () => {
    mta = await startScenario({ ...engine2048, name: 'implicit-engine', tls: { engine: 'scripted', dh: 2048, implicit: true } });
    const result = await run('openssl', ['s_client', '-crlf', '-ign_eof', '-connect', `127.0.0.1:${mta.port}`, '-CAfile', mta.caFile], { input: 'EHLO client.example.test\nQUIT\n' });
    expect(result.output).toContain('Server Temp Key: DH, 2048 bits');
    expect(result.output).toMatch(/^220 mx\.broken-mta\.test/m);
    expect(result.output).toMatch(/^221 /m);
    expect(await mta.waitFor((e) => e.type === 'tls-established')).toMatchObject({ protocol: 'TLSv1.2', keyExchange: { bits: 2048 } });
  });
});

describe('weak-dh: the seed', () => {
  it('openssl prints dh key too small; the server records alert 40 (handshake_failure)', async () => {
    mta = await startScenario('weak-dh');
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('dh key too small');
    const failed = await mta.waitFor((e) => e.type === 'tls-failed');
    expect(failed).toMatchObject({ clientAlert: { code: 40, name: 'handshake_failure' } });
  });

  it('gnutls-cli says the prime is not long enough (alert 71); with --dh-bits=512 it completes over 512 bits', async () => {
    mta = await startScenario('weak-dh');
    const refused = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(refused.output).toContain('The Diffie-Hellman prime sent by the server is not acceptable (not long enough)');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 71, name: 'insufficient_security' } });
    const lowered = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--dh-bits=512']);
    expect(lowered.output).toContain('(DHE-CUSTOM512)');
    expect(lowered.output).toContain('- Handshake was completed');
    expect(await mta.waitFor((e) => e.type === 'tls-established')).toMatchObject({ keyExchange: { kind: 'DHE', group: '512', bits: 512 } });
  });

  it('nodemailer refuses the 512-bit group', async () => {
    mta = await startScenario('weak-dh');
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.ok).toBe(false);
    expect(String(sent.error?.message)).toMatch(/dh key too small/i);
    expect(mta.messages).toHaveLength(0);
  });
});

describe('the other DH groups', () => {
  it('dh480: openssl rejects the parameters themselves (bad dh value, alert 47)', async () => {
    mta = await startScenario('dh480');
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(result.output).toContain('modulus too small');
    expect(result.output).toContain('bad dh value');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 47, name: 'illegal_parameter' } });
  });

  it('dh1024: openssl at its default security level refuses (alert 40); at level 1 and in Node it passes', async () => {
    mta = await startScenario('dh1024');
    const strict = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(strict.output).toContain('dh key too small');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 40 } });
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-cipher', 'DEFAULT@SECLEVEL=1']);
    expect(lenient.output).toContain('Server Temp Key: DH, 1024 bits');
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.ok).toBe(true);
  });

  it('dh-composite: openssl 3.0 and gnutls 3.7 both complete the handshake (neither tests the prime)', async () => {
    mta = await startScenario('dh-composite');
    const openssl = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(openssl.output).toContain('Server Temp Key: DH, 2048 bits');
    expect(openssl.output).toContain('Verify return code: 0 (ok)');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(gnutls.output).toContain('- Handshake was completed');
    await mta.waitFor((e) => e.type === 'tls-established' && e.session === 2);
    expect(mta.events.filter((e) => e.type === 'tls-established')).toMatchObject([
      { keyExchange: { kind: 'DHE', group: 'composite', bits: 2048 } },
      { keyExchange: { kind: 'DHE', group: 'composite', bits: 2048 } },
    ]);
  });

  // The shared secret is g^(xy), one of seven values: when the client's own exponent is a
  // multiple of 7 it is 1, and openssl notices (invalid secret, alert 47). Otherwise it
  // completes. So each client gets a few tries, and every failure must be that one.
  it('dh-small-subgroup: openssl 3.0 completes unless its own secret lands on 1 (about 1 in 7: invalid secret, alert 47)', async () => {
    mta = await startScenario('dh-small-subgroup');
    let completed = false;
    for (let attempt = 0; attempt < 10 && !completed; attempt++) {
      const openssl = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
      expect(openssl.output).toContain('Server Temp Key: DH, 2048 bits');
      completed = !/error:/.test(openssl.output);
      if (!completed) {
        expect(openssl.output).toContain('ossl_dh_compute_key:invalid secret');
        expect(await mta.waitFor((e) => e.type === 'tls-failed' && e.session === attempt + 1)).toMatchObject({ clientAlert: { code: 47 } });
      }
    }
    expect(completed).toBe(true);
    expect(await mta.waitFor((e) => e.type === 'tls-established')).toMatchObject({ keyExchange: { kind: 'DHE', group: 'small-subgroup', bits: 2048 } });
  });

  it('dh-small-subgroup: gnutls-cli 3.7 completes it too', async () => {
    mta = await startScenario('dh-small-subgroup');
    let completed = false;
    for (let attempt = 0; attempt < 10 && !completed; attempt++) {
      completed = (await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile])).output.includes('- Handshake was completed');
    }
    expect(completed).toBe(true);
    await mta.waitFor((e) => e.type === 'tls-established');
  });
});

describe('DH parameters from a file: the admin\'s own dhparams.pem', () => {
  it('openssl sees the file\'s group (Server Temp Key: DH, 1024 bits); the events name the file', async () => {
    const dir = tempDir('dhfile');
    const file = join(dir, 'dhparams.pem');
    writeFileSync(file, execFileSync('openssl', ['dhparam', '-dsaparam', '1024'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    mta = await startScenario({ ...engine2048, name: 'own-dh', tls: { engine: 'scripted', dh: { file } } });
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-cipher', 'DEFAULT@SECLEVEL=1']);
    expect(result.output).toContain('Server Temp Key: DH, 1024 bits');
    expect(await mta.waitFor((e) => e.type === 'tls-established')).toMatchObject({ keyExchange: { kind: 'DHE', group: 'dhparams.pem', bits: 1024 } });
  });
});

describe('scripted misbehaviour', () => {
  it('ssl3-only: openssl reports an unsupported protocol and the server records alert 70', async () => {
    mta = await startScenario('ssl3-only');
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(result.output).toContain('unsupported protocol');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 70, name: 'protocol_version' } });
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(gnutls.output).toContain('A packet with illegal or unsupported version was received');
    await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 2 && e.clientAlert?.code === 70);
  });

  it('alert-after-certificate: openssl prints the alert; the server records that it sent it', async () => {
    mta = await startScenario('alert-after-certificate');
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(result.output).toContain('sslv3 alert handshake failure');
    expect(result.output).toContain('SSL alert number 40');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ serverAlert: { code: 40, name: 'handshake_failure' }, error: 'scripted: alert after Certificate' });
  });

  it('bad-ske-signature: openssl says bad signature and sends decrypt_error (51)', async () => {
    mta = await startScenario('bad-ske-signature');
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(result.output).toContain('bad signature');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 51, name: 'decrypt_error' } });
  });

  it('no-secure-renegotiation: openssl refuses (alert 40) unless -legacy_server_connect; gnutls-cli completes', async () => {
    mta = await startScenario('no-secure-renegotiation');
    const refused = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(refused.output).toContain('unsafe legacy renegotiation disabled');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 40, name: 'handshake_failure' } });
    const allowed = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-legacy_server_connect']);
    expect(allowed.output).toContain('Verify return code: 0 (ok)');
    await mta.waitFor((e) => e.type === 'tls-established' && e.session === 2);
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(gnutls.output).toContain('- Handshake was completed');
    await mta.waitFor((e) => e.type === 'tls-established' && e.session === 3);
  });

  it('no-secure-renegotiation: nodemailer (Node 20, OpenSSL 3) refuses it too', async () => {
    mta = await startScenario('no-secure-renegotiation');
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.ok).toBe(false);
    expect(String(sent.error?.message)).toMatch(/unsafe legacy renegotiation disabled/);
  });

  it('a wrong Finished: openssl refuses it (digest check failed) and says so with alert 51', async () => {
    mta = await startScenario({ ...engine2048, name: 'wrong-finished', tls: { engine: 'scripted', dh: 2048, script: { corrupt: 'finished' } } });
    const result = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(result.output).toContain('digest check failed');
    expect(await mta.waitFor((e) => e.type === 'tls-failed')).toMatchObject({ clientAlert: { code: 51, name: 'decrypt_error' } });
  });

  it('stopAfter ServerHelloDone: the client waits, and the server records where it stopped', async () => {
    mta = await startScenario({ ...engine2048, name: 'stall', tls: { engine: 'scripted', dh: 2048, script: { stopAfter: 'ServerHelloDone' } } });
    const result = await run('openssl', ['s_client', '-starttls', 'smtp', '-connect', `127.0.0.1:${mta.port}`], { input: 'QUIT\r\n', timeoutMs: 2000 });
    expect(result.signal).toBe('SIGKILL');
    expect(result.output).not.toContain('Server Temp Key');
    expect(await mta.waitFor((e) => e.type === 'tls-stopped')).toMatchObject({ after: 'ServerHelloDone' });
  });
});
