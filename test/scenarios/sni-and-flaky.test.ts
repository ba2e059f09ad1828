// sni-mismatch (the right certificate only for a client that names the server) and
// starttls-flaky (STARTTLS missing from EHLO in a seeded fraction of sessions), judged by
// openssl, gnutls-cli and nodemailer, and by what the server recorded.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { gnutlsStarttls, opensslStarttls, run, sendWithNodemailer } from '../support/clients.js';

let mta: RunningScenario | undefined;
afterEach(async () => {
  await mta?.close();
  mta = undefined;
});

const established = (n: number) => mta!.waitFor((e) => e.type === 'tls-established' && e.session === n);

describe('sni-mismatch', () => {
  it('openssl gets the right certificate only when it names the server', async () => {
    mta = await startScenario('sni-mismatch');
    const named = await opensslStarttls(mta.port, ['-CAfile', mta.caFile, '-verify_hostname', 'mx.broken-mta.test']);
    expect(named.output).toContain('subject=CN = mx.broken-mta.test');
    expect(named.output).toContain('Verify return code: 0 (ok)');
    expect(await established(1)).toMatchObject({ sni: 'mx.broken-mta.test', certificate: 'valid' });
    const unnamed = await run('openssl', ['s_client', '-starttls', 'smtp', '-crlf', '-connect', `127.0.0.1:${mta.port}`, '-noservername', '-CAfile', mta.caFile, '-verify_hostname', 'mx.broken-mta.test'], { input: 'QUIT\r\n' });
    expect(unnamed.output).toContain('subject=CN = wrong-host.broken-mta.test');
    expect(unnamed.output).toContain('Verify return code: 62 (hostname mismatch)');
    expect(await established(2)).toMatchObject({ certificate: 'wrong-host' });
    expect(await established(2)).not.toHaveProperty('sni');
    const other = await run('openssl', ['s_client', '-starttls', 'smtp', '-crlf', '-connect', `127.0.0.1:${mta.port}`, '-servername', 'other.example.test', '-CAfile', mta.caFile], { input: 'QUIT\r\n' });
    expect(other.output).toContain('subject=CN = wrong-host.broken-mta.test');
    expect(await established(3)).toMatchObject({ sni: 'other.example.test', certificate: 'wrong-host' });
  });

  it('gnutls-cli to an address sends no SNI and refuses the name; with --sni-hostname it trusts the server', async () => {
    mta = await startScenario('sni-mismatch');
    const bare = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--verify-hostname', 'mx.broken-mta.test']);
    expect(bare.output).toContain('- Status: The certificate is NOT trusted. The name in the certificate does not match the expected.');
    expect(await mta.waitFor((e) => e.type === 'tls-failed' && e.session === 1)).toMatchObject({ clientAlert: { code: 42, name: 'bad_certificate' } });
    const named = await gnutlsStarttls(mta.port, ['--x509cafile', mta.caFile, '--verify-hostname', 'mx.broken-mta.test', '--sni-hostname', 'mx.broken-mta.test']);
    expect(named.output).toContain('- Status: The certificate is trusted.');
  });

  it('nodemailer delivers with tls.servername; to a bare address it gets the other certificate', async () => {
    mta = await startScenario('sni-mismatch');
    const ca = readFileSync(mta.caFile, 'utf8');
    expect((await sendWithNodemailer({ port: mta.port, ca, requireTLS: true })).error).toBeUndefined();
    const bare = await sendWithNodemailer({ port: mta.port, ca, requireTLS: true, tls: { servername: undefined } });
    expect(bare.error?.message).toContain("Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list");
    // Node checks the name after the handshake and just closes: no alert, no message.
    expect(await mta.waitFor((e) => e.type === 'close' && e.session === 2)).toMatchObject({ by: 'client' });
    expect(mta.messages).toHaveLength(1);
  });
});

describe('starttls-flaky', () => {
  /** Six sessions from nodemailer, which uses STARTTLS when it is offered and plaintext when not. */
  async function sixSessions(port: number, requireTLS: boolean, ca: string): Promise<Array<string | undefined>> {
    const outcomes: Array<string | undefined> = [];
    for (let i = 0; i < 6; i++) outcomes.push((await sendWithNodemailer({ port, ca, requireTLS })).error?.code);
    return outcomes;
  }
  const hiddenIn = (scenario: RunningScenario) => scenario.events.filter((e) => e.type === 'fault' && e.fault === 'hide-starttls').map((e) => e.session);

  it('sessions 2 and 4 of six have no STARTTLS: an opportunistic client delivers in plaintext in exactly those', async () => {
    mta = await startScenario('starttls-flaky');
    const ca = readFileSync(mta.caFile, 'utf8');
    expect(await sixSessions(mta.port, false, ca)).toEqual(Array(6).fill(undefined));
    const hidden = hiddenIn(mta);
    expect(hidden).toEqual([2, 4]);
    expect(mta.messages.map((m) => [m.session, m.secure])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [n, !hidden.includes(n)]));
    // In those sessions the (plaintext) EHLO reply has no STARTTLS, in the others it has.
    const firstEhloReply = (n: number) => mta!.events.find((e) => e.session === n && e.type === 'reply' && e.code === 250);
    const without = [1, 2, 3, 4, 5, 6].filter((n) => {
      const reply = firstEhloReply(n);
      return reply?.type === 'reply' && !reply.text.split('\n').includes('STARTTLS');
    });
    expect(without).toEqual(hidden);
  });

  it('the same seed gives the same sessions on a new server; a client that requires TLS fails in exactly those', async () => {
    mta = await startScenario('starttls-flaky');
    const outcomes = await sixSessions(mta.port, true, readFileSync(mta.caFile, 'utf8'));
    expect(outcomes).toEqual([undefined, 'ETLS', undefined, 'ETLS', undefined, undefined]);
    expect(hiddenIn(mta)).toEqual([2, 4]);
  });

  it('openssl in a session without STARTTLS: "Didn\'t find STARTTLS", and the command gets 502', async () => {
    mta = await startScenario('starttls-flaky');
    await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    const second = await opensslStarttls(mta.port, ['-CAfile', mta.caFile]);
    expect(second.output).toContain("Didn't find STARTTLS in server response, trying anyway...");
    expect(mta.events.filter((e) => e.session === 2 && e.type === 'reply').map((e) => (e.type === 'reply' ? e.code : 0))).toContain(502);
    expect(await established(1)).toMatchObject({ protocol: 'TLSv1.3' });
  });
});
