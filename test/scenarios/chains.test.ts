// Chains: out of order, a SHA-1 or expired intermediate, the expired cross-signed root of
// 2020/2021, and a chain deeper than a client's limit. openssl, gnutls-cli and nodemailer
// judge; the server records the alert each client sends.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { gnutlsStarttls, opensslStarttls, sendWithNodemailer } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const HOST = ['-verify_hostname', 'mx.broken-mta.test'];
const GNUTLS_HOST = ['--verify-hostname', 'mx.broken-mta.test'];
const failedIn = (n: number) => mta!.waitFor((e) => e.type === 'tls-failed' && e.session === n);
const ca = () => readFileSync(mta!.caFile, 'utf8');
/** A file beside the test CA in the certificate cache. */
const authorityFile = (name: string) => mta!.caFile.replace(/test-ca\.pem$/, `${name}.pem`);

describe('reversed-chain', () => {
  it('the intermediates come root side first; openssl, gnutls-cli and Node sort them', async () => {
    mta = await startScenario('reversed-chain');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-showcerts']);
    // As sent: the leaf, then chain intermediate 1 (signed by the root), then 2 (the leaf's issuer).
    const sent = [...client.output.matchAll(/^ ?(\d) s:(.*)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(sent).toEqual(['0 CN = mx.broken-mta.test', expect.stringContaining('1 CN = broken-mta chain intermediate 1'), expect.stringContaining('2 CN = broken-mta chain intermediate 2')]);
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, ...GNUTLS_HOST]);
    expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    expect((await sendWithNodemailer({ port: mta.port, ca: ca(), requireTLS: true })).error).toBeUndefined();
  });
});

describe('sha1-intermediate', () => {
  it('openssl refuses the SHA-1 signature at depth 1 (68), gnutls-cli calls it insecure, Node refuses it', async () => {
    mta = await startScenario('sha1-intermediate');
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(lenient.output).toMatch(/depth=1 CN = broken-mta SHA-1 intermediate CA[^\n]*\nverify error:num=68:CA signature digest algorithm too weak/);
    expect(lenient.output).toContain('Verify return code: 68 (CA signature digest algorithm too weak)');
    await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-verify_return_error']);
    expect(await failedIn(2)).toMatchObject({ clientAlert: { code: 42, name: 'bad_certificate' } });
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, ...GNUTLS_HOST]);
    expect(gnutls.output).toContain('The certificate chain uses insecure algorithm.');
    const node = await sendWithNodemailer({ port: mta.port, ca: ca(), requireTLS: true });
    expect(node.error?.message).toContain('CA signature digest algorithm too weak');
  });
});

describe('expired-intermediate', () => {
  it('openssl reports the intermediate expired (10 at depth 1) and sends alert 45; gnutls-cli and Node refuse it', async () => {
    mta = await startScenario('expired-intermediate');
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(lenient.output).toMatch(/depth=1 CN = broken-mta expired intermediate CA[^\n]*\nverify error:num=10:certificate has expired/);
    expect(lenient.output).toContain('Verify return code: 10 (certificate has expired)');
    await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-verify_return_error']);
    expect(await failedIn(2)).toMatchObject({ clientAlert: { code: 45, name: 'certificate_expired' } });
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, ...GNUTLS_HOST]);
    expect(gnutls.output).toContain('- Status: The certificate is NOT trusted. The certificate chain uses expired certificate.');
    expect(await failedIn(3)).toMatchObject({ clientAlert: { code: 42, name: 'bad_certificate' } });
    const node = await sendWithNodemailer({ port: mta.port, ca: ca(), requireTLS: true });
    expect(node.error?.message).toContain('certificate has expired');
  });
});

describe('expired-cross-root', () => {
  it('openssl 3, gnutls-cli 3.7 and Node find the path to the trusted root and never use the expired cross-sign', async () => {
    mta = await startScenario('expired-cross-root');
    const shown = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-showcerts']);
    // The cross-sign is sent: the test CA's name, issued by the retired root.
    expect(shown.output).toMatch(/ 2 s:CN = broken-mta test CA, O = broken-mta \(for tests only\)\n {3}i:CN = broken-mta retired root \(expired\)/);
    // ...but the verified path ends at the trusted root: depth 2 is the test CA itself.
    expect(shown.output).toContain('depth=2 CN = broken-mta test CA');
    expect(shown.output).not.toContain('depth=3');
    expect(shown.output).toContain('Verify return code: 0 (ok)');
    // The same with the retired root trusted as well, as stores still held AddTrust in 2020.
    const bothRoots = `${readFileSync(mta.caFile, 'utf8')}${readFileSync(authorityFile('retired-root'), 'utf8')}`;
    const work = mkdtempSync(join(tmpdir(), 'broken-mta-roots-'));
    try {
      const bothFile = join(work, 'roots.pem');
      writeFileSync(bothFile, bothRoots);
      const both = await opensslStarttls(mta.port, ['-CAfile', bothFile, ...HOST]);
      expect(both.output).not.toContain('depth=3');
      expect(both.output).toContain('Verify return code: 0 (ok)');
      const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', bothFile, ...GNUTLS_HOST]);
      expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, ...GNUTLS_HOST]);
    expect(gnutls.output).toContain('- Status: The certificate is trusted.');
    expect((await sendWithNodemailer({ port: mta.port, ca: ca(), requireTLS: true })).error).toBeUndefined();
    expect((await sendWithNodemailer({ port: mta.port, ca: bothRoots, requireTLS: true })).error).toBeUndefined();
  });

  it('a client that trusts only the retired root ends at the expired cross-sign: openssl 10, gnutls-cli expired', async () => {
    mta = await startScenario('expired-cross-root');
    const retired = authorityFile('retired-root');
    const client = await opensslStarttls(mta.port, ['-CAfile', retired, ...HOST]);
    expect(client.output).toContain('depth=3 CN = broken-mta retired root (expired)');
    expect(client.output).toContain('Verify return code: 10 (certificate has expired)');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', retired, ...GNUTLS_HOST]);
    expect(gnutls.output).toContain('- Status: The certificate is NOT trusted. The certificate chain uses expired certificate.');
  });
});

describe('long-chain', () => {
  it('gnutls-cli stops at its limit of 16; openssl verifies all 18 certificates unless told a smaller depth', async () => {
    mta = await startScenario('long-chain');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, ...GNUTLS_HOST]);
    expect(gnutls.output).toContain('- Got a certificate list of 18 certificates.');
    expect(gnutls.output).toContain('- Could not verify certificate (err: Some constraint limits were reached.)');
    expect(await failedIn(1)).toMatchObject({ clientAlert: { code: 42, name: 'bad_certificate' } });
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(client.output).toContain('depth=18 CN = broken-mta test CA');
    expect(client.output).toContain('Verify return code: 0 (ok)');
    const shallow = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-verify_depth', '9']);
    expect(shallow.output).toContain('verify error:num=22:certificate chain too long');
    expect((await sendWithNodemailer({ port: mta.port, ca: ca(), requireTLS: true })).error).toBeUndefined();
  });
});
