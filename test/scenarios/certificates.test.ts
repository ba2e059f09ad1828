// The certificate catalogue over STARTTLS: openssl's verify result for each bad certificate,
// the alert a verifying openssl sends (as the server records it), and Node's error code.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { opensslStarttls, run, sendWithNodemailer } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

interface Row {
  scenario: string;
  /** openssl's last line: `Verify return code: ...`. */
  verify: string;
  /** An earlier `verify error:` line, where the last one is not the telling one. */
  verifyError?: string;
  /** The alert a verifying openssl sends; undefined: the handshake completes. */
  alert?: { code: number; name: string };
  /** What nodemailer, trusting the test CA, says; 'delivers' where Node accepts it. */
  node?: RegExp | 'delivers';
}

const BAD_CERTIFICATE = { code: 42, name: 'bad_certificate' };
const UNKNOWN_CA = { code: 48, name: 'unknown_ca' };

const ROWS: Row[] = [
  { scenario: 'not-yet-valid', verify: '9 (certificate is not yet valid)', alert: BAD_CERTIFICATE, node: /certificate is not yet valid/ },
  { scenario: 'untrusted-root', verify: '19 (self-signed certificate in certificate chain)', alert: UNKNOWN_CA, node: /self-signed certificate in certificate chain/ },
  // A lone leaf that cannot be chained: openssl reports 20, then ends with 21.
  { scenario: 'unknown-ca', verify: '21 (unable to verify the first certificate)', verifyError: 'num=20:unable to get local issuer certificate', alert: UNKNOWN_CA, node: /unable to verify the first certificate/ },
  { scenario: 'incomplete-chain', verify: '21 (unable to verify the first certificate)', verifyError: 'num=20:unable to get local issuer certificate', alert: UNKNOWN_CA, node: /unable to verify the first certificate/ },
  { scenario: 'good-chain', verify: '0 (ok)', node: 'delivers' },
  { scenario: 'wrong-host', verify: '62 (hostname mismatch)', alert: BAD_CERTIFICATE, node: /does not match certificate's altnames/ },
  // Node 20 verifies at security level 1, where a 1024-bit key still passes.
  { scenario: 'weak-key-1024', verify: '66 (EE certificate key too weak)', alert: BAD_CERTIFICATE, node: 'delivers' },
  { scenario: 'weak-key-512', verify: '66 (EE certificate key too weak)', alert: BAD_CERTIFICATE, node: /EE certificate key too weak/ },
  { scenario: 'sha1-signed', verify: '68 (CA signature digest algorithm too weak)', alert: BAD_CERTIFICATE, node: /CA signature digest algorithm too weak/ },
  { scenario: 'md5-signed', verify: '68 (CA signature digest algorithm too weak)', alert: BAD_CERTIFICATE, node: /CA signature digest algorithm too weak/ },
];

const HOST = ['-verify_hostname', 'mx.broken-mta.test'];

describe.each(ROWS)('$scenario', ({ scenario, verify, verifyError, alert, node }) => {
  it(`openssl prints Verify return code: ${verify}${alert ? `, and sends alert ${alert.code}` : ''}`, async () => {
    mta = await startScenario(scenario);
    const lenient = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST]);
    expect(lenient.output).toContain(`Verify return code: ${verify}`);
    if (verifyError) expect(lenient.output).toContain(`verify error:${verifyError}`);
    const strict = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, ...HOST, '-verify_return_error']);
    if (alert) {
      expect(strict.code).not.toBe(0);
      const failed = await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 2);
      expect(failed).toMatchObject({ clientAlert: alert });
    } else {
      expect(strict.code).toBe(0);
      await mta.waitFor((e) => e.type === 'tls-established' && e.session === 2);
    }
  });

  it(`nodemailer trusting the test CA: ${node}`, async () => {
    mta = await startScenario(scenario);
    const result = await sendWithNodemailer({ port: mta.port, ca: readFileSync(mta.caFile, 'utf8'), requireTLS: true });
    if (node === 'delivers') {
      expect(result.error).toBeUndefined();
      expect(mta.messages).toHaveLength(1);
    } else {
      expect(result.error?.message).toMatch(node!);
      expect(mta.messages).toHaveLength(0);
      // Node checks the certificate once the handshake is done and sends no alert: the
      // server sees the client close, before any command inside TLS.
      const close = await mta.waitFor((e) => e.type === 'close');
      expect(close).toMatchObject({ by: 'client' });
      expect(mta.events.filter((e) => e.type === 'command').map((e) => (e.type === 'command' ? e.step : ''))).toEqual(['EHLO', 'STARTTLS']);
    }
  });
});

describe('client-cert-required', () => {
  it('a client without a certificate is refused; one with `broken-mta certs --client` delivers', async () => {
    mta = await startScenario('client-cert-required');
    // TLS 1.3 refuses after the client's Finished: -ign_eof keeps openssl reading until then.
    const without = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-ign_eof'], 'EHLO client.example.test\r\n');
    expect(without.output).toMatch(/certificate required|alert number 116/);
    const refused = await mta.waitFor((e) => e.type === 'tls-failed');
    expect(refused).toMatchObject({ error: expect.stringContaining('peer did not return a certificate') });

    const paths = await run('node', [new URL('../../dist/cli.js', import.meta.url).pathname, 'certs', '--client']);
    const [certFile, keyFile] = paths.stdout.trim().split('\n');
    const ca = readFileSync(mta.caFile, 'utf8');
    const result = await sendWithNodemailer({
      port: mta.port,
      ca,
      requireTLS: true,
      tls: { cert: readFileSync(certFile!, 'utf8'), key: readFileSync(keyFile!, 'utf8') },
    });
    expect(result.error).toBeUndefined();
    const established = await mta.waitFor((e) => e.type === 'tls-established');
    expect(established).toMatchObject({ clientCertificate: 'client.broken-mta.test' });
  });
});
