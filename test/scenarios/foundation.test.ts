// The first five scenarios, each judged by a real client and by the server's own events.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { opensslStarttls, sendWithNodemailer } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

describe('good', () => {
  it('delivers over STARTTLS with nodemailer trusting the test CA', async () => {
    mta = await startScenario('good');
    const result = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(result.error).toBeUndefined();
    expect(result.response).toMatch(/^250 /);
    const established = await mta.waitFor((e) => e.type === 'tls-established');
    expect(established).toMatchObject({ type: 'tls-established', sni: 'mx.broken-mta.test' });
    const message = await mta.waitFor((e) => e.type === 'message');
    expect(message).toMatchObject({ secure: true, from: 'sender@client.example.test', to: ['rcpt@mx.broken-mta.test'] });
    expect(mta.messages[0]!.raw.toString()).toContain('Hello from the test suite.');
  });

  it('verifies with openssl s_client: Verify return code 0', async () => {
    mta = await startScenario('good');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-verify_hostname', 'mx.broken-mta.test', '-verify_return_error']);
    expect(client.output).toContain('Verify return code: 0 (ok)');
    await mta.waitFor((e) => e.type === 'tls-established');
  });
});

describe('expired-cert', () => {
  it('openssl reports code 10, and a verifying client sends alert 45', async () => {
    mta = await startScenario('expired-cert');
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(lenient.output).toContain('Verify return code: 10 (certificate has expired)');

    const strict = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-verify_return_error']);
    expect(strict.output).toContain('certificate verify failed');
    const failed = await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 2);
    expect(failed).toMatchObject({ clientAlert: { code: 45, name: 'certificate_expired' } });
  });

  it('nodemailer refuses it with CERT_HAS_EXPIRED', async () => {
    mta = await startScenario('expired-cert');
    const result = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/certificate has expired/);
    await mta.waitFor((e) => e.type === 'tls-failed');
    expect(mta.messages).toHaveLength(0);
  });
});

describe('self-signed', () => {
  it('openssl reports code 18, and a verifying client sends alert 48', async () => {
    mta = await startScenario('self-signed');
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(lenient.output).toContain('Verify return code: 18 (self-signed certificate)');

    const strict = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-verify_return_error']);
    expect(strict.code).not.toBe(0);
    const failed = await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 2);
    expect(failed).toMatchObject({ clientAlert: { code: 48, name: 'unknown_ca' } });
  });
});

describe('groupwise-450', () => {
  it('nodemailer with requireTLS fails with the 450 reply', async () => {
    mta = await startScenario('groupwise-450');
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toContain('450 TLS negotation failure');
    const fault = await mta.waitFor((e) => e.type === 'fault');
    expect(fault).toMatchObject({ fault: 'reply', step: 'STARTTLS' });
    expect(mta.messages).toHaveLength(0);
  });

  it('nodemailer without opportunisticTLS gives up with ETLS, even without requireTLS', async () => {
    mta = await startScenario('groupwise-450');
    const result = await sendWithNodemailer({ port: mta.port });
    expect(result.error?.code).toBe('ETLS');
    expect(result.error?.message).toContain('450 TLS negotation failure');
  });

  it('a client that does not require TLS goes on in plaintext and the message arrives', async () => {
    mta = await startScenario('groupwise-450');
    const result = await sendWithNodemailer({ port: mta.port, opportunisticTLS: true });
    expect(result.error).toBeUndefined();
    const message = await mta.waitFor((e) => e.type === 'message');
    expect(message).toMatchObject({ secure: false });
    expect(mta.events.some((e) => e.type === 'reply' && e.code === 450)).toBe(true);
  });
});

describe('handshake-abort', () => {
  it('openssl reports an unexpected EOF; the server says it aborted on purpose', async () => {
    mta = await startScenario('handshake-abort');
    const client = await opensslStarttls(mta.port);
    expect(client.output).toMatch(/unexpected eof while reading/);
    expect(client.output).toContain('Cipher is (NONE)');
    const fault = await mta.waitFor((e) => e.type === 'fault');
    expect(fault).toMatchObject({ fault: 'abort-close', step: 'TLS', detail: expect.stringContaining('on purpose') });
    const close = await mta.waitFor((e) => e.type === 'close');
    expect(close).toMatchObject({ by: 'server' });
  });

  it('nodemailer with requireTLS fails before any TLS session', async () => {
    mta = await startScenario('handshake-abort');
    const result = await sendWithNodemailer({ port: mta.port, requireTLS: true });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/socket disconnected|closed|ECONNRESET/i);
  });
});
