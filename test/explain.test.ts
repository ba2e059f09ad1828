// `explain`: the field's log lines, as the README quotes them, lead to the scenario that
// reproduces them, through the catalogue's own claims: their exact texts first.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { explain } from '../src/explain.js';
import { catalogueNames, loadScenarioWithFile } from '../src/scenario/load.js';
import { loadSenderScenario, senderCatalogueNames } from '../src/scenario/sender-load.js';
import { run } from './support/clients.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const catalogue = catalogueNames().map((name) => loadScenarioWithFile(name).scenario);
const senders = senderCatalogueNames().map((name) => loadSenderScenario(name).scenario);
/** As the command does: the server scenarios and the sender scenarios. */
const find = (line: string, limit?: number) => explain(line, catalogue, limit, senders);

describe('explain: from a log line to a scenario', () => {
  it.each([
    ['sm-mta[4711]: STARTTLS=client, error: connect failed=-1, reason=dh key too small, SSL_error=1, errno=0, retry=-1', 'weak-dh'],
    ['sm-mta[4711]: ruleset=tls_server, arg1=SOFTWARE, relay=mx.example.com, reject=403 4.7.0 TLS handshake failed.', 'handshake-abort'],
    ['Error initiating TLS - 450 TLS negotation failure', 'groupwise-450'],
    ['STARTTLS=client, relay=mx.example.com, version=TLSv1.3, verify=FAIL, cipher=TLS_AES_256_GCM_SHA384', 'expired-cert'],
    ['error:0A000152:SSL routines:final_renegotiate:unsafe legacy renegotiation disabled', 'no-secure-renegotiation'],
  ])('%s -> %s', (line, scenario) => {
    const { matches, tied } = find(line);
    expect(matches[0]?.scenario).toBe(scenario);
    expect(tied).toBe(1);
  });

  it("a line that holds a claim's exact text matches it first, and says so", () => {
    const { matches } = find('Nov 29 sm-mta[4711]: STARTTLS=client, error: connect failed=-1, reason=unsafe legacy renegotiation disabled, SSL_error=1');
    expect(matches[0]).toMatchObject({ scenario: 'no-secure-renegotiation', exact: true, claim: { client: 'sendmail' } });
  });

  it("openssl's \"Verify return code: 10\" is a tie: an expired leaf, an expired intermediate, and an old trust store past an expired cross-sign print the same", () => {
    const { matches, tied } = find('Verify return code: 10 (certificate has expired)');
    expect(matches[0]?.scenario).toBe('expired-cert');
    expect(tied).toBe(3);
    expect(matches.slice(0, tied).map((match) => match.scenario).sort()).toEqual(['expired-cert', 'expired-cross-root', 'expired-intermediate']);
  });

  it('a message that several scenarios share is a tie, and every one of them is listed (gnutls says the same of 480 and 512 bits)', () => {
    const { matches, tied } = find('*** Fatal error: The Diffie-Hellman prime sent by the server is not acceptable (not long enough).', 1);
    expect(tied).toBe(2);
    expect(matches.map((match) => match.scenario).sort()).toEqual(['dh480', 'weak-dh']);
  });

  it('sendmail\'s generic "TLS handshake failed" is a tie of every scenario whose handshake sendmail gives up on', () => {
    const { matches, tied } = find('TLS handshake failed');
    expect(tied).toBeGreaterThan(5);
    expect(matches).toHaveLength(tied);
    expect(matches.map((match) => match.scenario)).toContain('weak-dh');
  });

  it('words every scenario shares (smtp, tls, failed) tell nothing, so they match nothing', () => {
    expect(find('smtp tls failed').matches).toEqual([]);
    expect(find('hello world').matches).toEqual([]);
  });

  it('a word match names the words it shares', () => {
    const [best] = find('450 TLS negotation failure from the GroupWise box').matches;
    expect(best).toMatchObject({ scenario: 'groupwise-450', exact: false });
    expect(best!.shared).toEqual(expect.arrayContaining(['negotation']));
  });

  // Lines in the form the receiver suites' MTAs write them (test/sendmail, test/postfix,
  // test/exim), some from another host: each leads to the broken sender whose claims quote it.
  it.each([
    ['Nov 29 11:15:47 mx sm-mta[13761]: 4ATBFl: rejecting commands from localhost [127.0.0.1] due to pre-greeting traffic after 0 seconds', 'sender-pregreet', 'sendmail'],
    ['Nov 29 11:16:03 mx postfix/smtpd[13761]: improper command pipelining after DATA from localhost[127.0.0.1]: From: <spoofed@example.test>\\r\\nTo: <rcpt@remote.example.test>', 'sender-smtp-smuggling', 'postfix'],
    ['Nov 29 11:15:47 mx postfix/smtpd[13761]: warning: TLS library problem: error:0A00018C:SSL routines::version too low:../ssl/statem/statem_srvr.c:1664:', 'sender-ssl3-only', 'postfix'],
    ['2026-11-29 11:17:14 TLS error on connection from (client.example.test) [127.0.0.1] (gnutls_handshake): No supported cipher suites have been found.', 'sender-tls10-weak-ciphers', 'exim'],
    ['2026-11-29 11:19:28 SMTP protocol synchronization error (input sent without waiting for greeting): rejected connection from H=[192.0.2.7] input="EHLO client"', 'sender-pregreet', 'exim'],
    ['Nov 30 08:12:01 mx1 postfix/smtpd[2231]: improper command pipelining after DATA from mail.example.net[192.0.2.7]: From: <ceo@example.org>', 'sender-smtp-smuggling', 'postfix'],
  ])('a receiving MTA\'s line: %s -> %s', (line, scenario, receiver) => {
    const { matches, tied } = find(line);
    expect(matches[0]).toMatchObject({ scenario, kind: 'sender', claim: { receiver } });
    expect(tied).toBe(1);
  });

  it('the command prints the matches and how to run them; nothing found exits 1', async () => {
    const found = await run('node', [CLI, 'explain', 'reason=dh key too small', '-n', '1']);
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(/^1\. weak-dh: /m);
    expect(found.stdout).toContain('run it: broken-mta --scenario weak-dh');
    expect(found.stdout).toContain('then:   printf');
    const tie = await run('node', [CLI, 'explain', 'dh key too small', '-n', '1']);
    expect(tie.stdout).toMatch(/^2 scenarios match this line equally well/m);
    expect(tie.stdout).toMatch(/^1\. dh1024: /m);
    expect(tie.stdout).toMatch(/^2\. weak-dh: /m);
    const help = await run('node', [CLI, 'explain', '--help']);
    const example = /^ {2}broken-mta explain "(.*)"$/m.exec(help.stdout)![1]!;
    expect((await run('node', [CLI, 'explain', example])).stdout).toMatch(/^1\. weak-dh: .*\n {3}sendmail: .* \(the exact text\)$/m);
    // The README's example of a receiver's line, run as printed.
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const shown = /^ {2}\$ broken-mta explain "(SMTP protocol synchronization[^"]*)" -n 1\n((?: {2}.*\n)+?) {2}```/m.exec(readme);
    expect(shown, 'the README shows explain on a receiver line').not.toBeNull();
    const sender = await run('node', [CLI, 'explain', shown![1]!, '-n', '1']);
    expect(sender.stdout).toBe(shown![2]!.replace(/^ {2}/gm, ''));
    expect(sender.stdout).toMatch(/^1\. sender-pregreet: .*\n {3}exim, as the receiver: .* \(the exact text\)$/m);
    const none = await run('node', [CLI, 'explain', 'hello world']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no scenario's symptoms share a telling word with that line");
  });
});
