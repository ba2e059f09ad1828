// Revocation: a CRL that broken-mta serves itself, on loopback, at the distribution point
// the certificate names; an OCSP response stapled in the handshake; a must-staple
// certificate without a staple. openssl, gnutls-cli and nodemailer judge.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { gnutlsStarttls, opensslStarttls, run, sendWithNodemailer } from '../support/clients.js';

let mta: RunningScenario | undefined;
let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'broken-mta-revocation-'));
});
afterEach(async () => {
  await mta?.close();
  mta = undefined;
  rmSync(work, { recursive: true, force: true });
});

const HOST = ['-verify_hostname', 'mx.broken-mta.test'];
const failedIn = (n: number) => mta!.waitFor((e) => e.type === 'tls-failed' && e.session === n);

/** The CRL distribution point of the certificate the server sends, as openssl reads it. */
async function distributionPoint(port: number): Promise<string> {
  const shown = await opensslStarttls(port, ['-showcerts']);
  const leaf = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(shown.output)![0];
  const extension = await run('openssl', ['x509', '-noout', '-ext', 'crlDistributionPoints'], { input: leaf });
  return /URI:(\S+)/.exec(extension.stdout)![1]!;
}

describe('revoked', () => {
  it('the certificate names a CRL on loopback that broken-mta serves; openssl with -crl_check reports 23 and sends alert 44', async () => {
    mta = await startScenario('revoked');
    const url = await distributionPoint(mta.port);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/test-ca\.crl$/);
    expect(new URL(url).port).not.toBe(String(mta.port));
    expect(mta.crlUrl).toBe(url);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pkix-crl');
    const crlFile = join(work, 'test-ca.crl');
    writeFileSync(crlFile, Buffer.from(await response.arrayBuffer()));
    expect(await mta.waitFor((e) => e.type === 'revocation-request')).toMatchObject({ path: '/test-ca.crl', status: 200, remoteAddress: '127.0.0.1' });
    const listed = await run('openssl', ['crl', '-inform', 'DER', '-in', crlFile, '-noout', '-text']);
    expect(listed.stdout).toContain('Key Compromise');

    const unchecked = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(unchecked.output).toContain('Verify return code: 0 (ok)');
    const checked = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-crl_check', '-CRL', crlFile, '-CRLform', 'DER']);
    expect(checked.output).toContain('verify error:num=23:certificate revoked');
    expect(checked.output).toContain('Verify return code: 23 (certificate revoked)');
    // openssl fetches the CRL from the distribution point itself, and refuses the server.
    const downloaded = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-crl_check', '-crl_download', '-verify_return_error']);
    expect(downloaded.output).toContain('certificate revoked');
    expect(mta.events.filter((e) => e.type === 'revocation-request')).toHaveLength(2);
    const sessions = mta.sessions;
    expect(await failedIn(sessions)).toMatchObject({ clientAlert: { code: 44, name: 'certificate_revoked' } });
  });

  it('gnutls-cli with the CRL calls the chain revoked; Node delivers unless given the CRL', async () => {
    mta = await startScenario('revoked');
    const der = Buffer.from(await (await fetch(await distributionPoint(mta.port))).arrayBuffer());
    const pem = `-----BEGIN X509 CRL-----\n${der.toString('base64').replace(/.{64}/g, '$&\n')}\n-----END X509 CRL-----\n`;
    const crlFile = join(work, 'test-ca.crl.pem');
    writeFileSync(crlFile, pem);
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--x509crlfile', crlFile]);
    expect(gnutls.output).toContain('- Status: The certificate is NOT trusted. The certificate chain is revoked.');
    const ca = readFileSync(mta.caFile, 'utf8');
    expect((await sendWithNodemailer({ port: mta.port, ca, requireTLS: true })).error).toBeUndefined();
    const refused = await sendWithNodemailer({ port: mta.port, ca, requireTLS: true, tls: { crl: pem } });
    expect(refused.error?.message).toContain('certificate revoked');
    expect(mta.messages).toHaveLength(1);
  });
});

describe('revoked-stapled', () => {
  it('openssl -status prints the stapled "revoked" and verifies anyway; gnutls-cli refuses the server', async () => {
    mta = await startScenario('revoked-stapled');
    const client = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-status']);
    expect(client.output).toContain('OCSP Response Status: successful (0x0)');
    expect(client.output).toContain('Cert Status: revoked');
    expect(client.output).toContain('Verify return code: 0 (ok)');
    expect(await mta.waitFor((e) => e.type === 'ocsp-stapled')).toMatchObject({ status: 'revoked' });
    // Also to a client that sends no SNI (openssl to an address, without -servername).
    const noSni = await run('openssl', ['s_client', '-starttls', 'smtp', '-crlf', '-connect', `127.0.0.1:${mta.port}`, '-noservername', '-status'], { input: 'QUIT\r\n' });
    expect(noSni.output).toContain('Cert Status: revoked');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(gnutls.output).toContain('The certificate was revoked via OCSP');
    expect(gnutls.output).toContain('- Status: The certificate is NOT trusted. The certificate chain is revoked.');
    expect(await failedIn(3)).toMatchObject({ clientAlert: { code: 42, name: 'bad_certificate' } });
    // Node asks for a staple only when told to, and never acts on it.
    const node = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true, tls: { requestOCSP: true } });
    expect(node.error).toBeUndefined();
    expect(mta.events.filter((e) => e.type === 'ocsp-stapled')).toHaveLength(4);
  });
});

describe('must-staple-missing', () => {
  it('gnutls-cli refuses a must-staple certificate without a staple; openssl and Node do not enforce it', async () => {
    mta = await startScenario('must-staple-missing');
    const gnutls = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile]);
    expect(gnutls.output).toContain('The certificate requires the server to include an OCSP status in its response, but the OCSP status is missing.');
    expect(await failedIn(1)).toMatchObject({ clientAlert: { code: 42, name: 'bad_certificate' } });
    const shown = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-status', '-showcerts']);
    expect(shown.output).toContain('OCSP response: no response sent');
    expect(shown.output).toContain('Verify return code: 0 (ok)');
    const leaf = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/.exec(shown.output)![0];
    const feature = await run('openssl', ['x509', '-noout', '-ext', 'tlsfeature'], { input: leaf });
    expect(feature.stdout).toContain('status_request');
    expect((await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true })).error).toBeUndefined();
    expect(mta.events.some((e) => e.type === 'ocsp-stapled')).toBe(false);
  });
});
