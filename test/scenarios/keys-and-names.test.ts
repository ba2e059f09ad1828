// Keys and names: ECDSA-only servers (and the RSA-only client that cannot talk to them),
// an 8192-bit key, a certificate with no subject, 1,000 and 10,000 names. Judged by
// openssl, gnutls-cli and nodemailer, and by the server's events.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { gnutlsStarttls, opensslStarttls, sendWithNodemailer } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const HOST = ['-verify_hostname', 'mx.broken-mta.test'];
const session = (n: number) => (e: { session: number }) => e.session === n;

describe.each([
  { scenario: 'ecdsa-p256', bits: 256, curve: 'SECP256R1' },
  { scenario: 'ecdsa-p384', bits: 384, curve: 'SECP384R1' },
])('$scenario', ({ scenario, bits, curve }) => {
  it(`openssl verifies an ECDSA ${bits}-bit key; gnutls-cli and nodemailer accept it`, async () => {
    mta = await startScenario(scenario);
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(client.output).toContain('Peer signature type: ECDSA');
    expect(client.output).toContain(`Server public key is ${bits} bit`);
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--verify-hostname', 'mx.broken-mta.test']);
    expect(gnutls.output).toContain(`EC/ECDSA key ${bits} bits`);
    expect(gnutls.output).toContain(curve);
    expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    const sent = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(sent.error).toBeUndefined();
  });

  it('an RSA-only client gets alert 40, and the server says why', async () => {
    mta = await startScenario(scenario);
    // TLS 1.2 with RSA-authenticated suites only: no suite fits an ECDSA certificate.
    const tls12 = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-tls1_2', '-cipher', 'aRSA']);
    expect(tls12.output).toContain('sslv3 alert handshake failure');
    expect(tls12.output).toContain('SSL alert number 40');
    expect(await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 1)).toMatchObject({
      serverAlert: { code: 40, name: 'handshake_failure' },
      error: expect.stringContaining('no shared cipher'),
    });
    // TLS 1.3 with RSA signatures only: the key can make none of them.
    const tls13 = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-sigalgs', 'RSA-PSS+SHA256:RSA+SHA256']);
    expect(tls13.output).toContain('SSL alert number 40');
    expect(await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 2)).toMatchObject({
      serverAlert: { code: 40, name: 'handshake_failure' },
      error: expect.stringContaining('no suitable signature algorithm'),
    });
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--priority', 'NORMAL:-SIGN-ALL:+SIGN-RSA-SHA256:+SIGN-RSA-PSS-RSAE-SHA256']);
    expect(gnutls.output).toContain('*** Received alert [40]: Handshake failed');
    const node = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true, tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' } });
    expect(node.error?.message).toContain('SSL alert number 40');
    expect(node.error?.code).toBe('ESOCKET');
  });
});

describe('rsa-8192', () => {
  it('openssl and gnutls-cli see an 8192-bit key and verify it; nodemailer delivers', async () => {
    // The first use makes the key (seconds to a minute on one core): the time is the scenario's.
    mta = await startScenario('rsa-8192');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(client.output).toContain('Server public key is 8192 bit');
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--verify-hostname', 'mx.broken-mta.test']);
    expect(gnutls.output).toContain('RSA key 8192 bits');
    expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    expect((await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true })).error).toBeUndefined();
    await mta.waitFor((e) => e.type === 'tls-established' && e.session === 3);
  }, 180_000);
});

describe('no-subject', () => {
  it('an empty subject with a critical subjectAltName verifies everywhere', async () => {
    mta = await startScenario('no-subject');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-showcerts']);
    expect(client.output).toMatch(/^subject=$/m);
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const leaf = new X509Certificate(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(client.output)![0]);
    expect(leaf.subject || '(none)').toBe('(none)');
    expect(leaf.subjectAltName).toContain('DNS:mx.broken-mta.test');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--verify-hostname', 'mx.broken-mta.test']);
    expect(gnutls.output).toContain(' - no subject,');
    expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    expect((await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true })).error).toBeUndefined();
  });
});

describe('many names', () => {
  it('1000-sans: 28 KB of certificate, and every client verifies it', async () => {
    mta = await startScenario('1000-sans');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(client.output).toMatch(/SSL handshake has read 2\d{4} bytes/);
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--verify-hostname', 'mx.broken-mta.test']);
    expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    expect((await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true })).error).toBeUndefined();
  });

  it('10000-sans: OpenSSL (openssl, Node) and GnuTLS refuse a certificate that size; the server records their alerts', async () => {
    mta = await startScenario('10000-sans');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(client.output).toContain('excessive message size');
    expect(await mta.waitFor((e) => e.type === 'tls-failed' && session(1)(e))).toMatchObject({ clientAlert: { code: 47, name: 'illegal_parameter' } });
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(gnutls.output).toContain('*** Fatal error: The handshake data size is too large.');
    expect(await mta.waitFor((e) => e.type === 'tls-failed' && session(2)(e))).toMatchObject({ clientAlert: { code: 50, name: 'decode_error' } });
    const node = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    expect(node.error?.message).toContain('excessive message size');
    expect(mta.messages).toHaveLength(0);
  });
});
