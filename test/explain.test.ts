// `explain`: the field's log lines, as the README quotes them, lead to the scenario that
// reproduces them, through the catalogue's own claims: their exact texts first.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { explain } from '../src/explain.js';
import { catalogueNames, loadScenarioWithFile } from '../src/scenario/load.js';
import { run } from './support/clients.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
const catalogue = catalogueNames().map((name) => loadScenarioWithFile(name).scenario);

describe('explain: from a log line to a scenario', () => {
  it.each([
    ['sm-mta[4711]: STARTTLS=client, error: connect failed=-1, reason=dh key too small, SSL_error=1, errno=0, retry=-1', 'weak-dh'],
    ['sm-mta[4711]: ruleset=tls_server, arg1=SOFTWARE, relay=mx.example.com, reject=403 4.7.0 TLS handshake failed.', 'handshake-abort'],
    ['Error initiating TLS - 450 TLS negotation failure', 'groupwise-450'],
    ['STARTTLS=client, relay=mx.example.com, version=TLSv1.3, verify=FAIL, cipher=TLS_AES_256_GCM_SHA384', 'expired-cert'],
    ['Verify return code: 10 (certificate has expired)', 'expired-cert'],
    ['error:0A000152:SSL routines:final_renegotiate:unsafe legacy renegotiation disabled', 'no-secure-renegotiation'],
  ])('%s -> %s', (line, scenario) => {
    const { matches, tied } = explain(line, catalogue);
    expect(matches[0]?.scenario).toBe(scenario);
    expect(tied).toBe(1);
  });

  it("a line that holds a claim's exact text matches it first, and says so", () => {
    const { matches } = explain('Nov 29 sm-mta[4711]: STARTTLS=client, error: connect failed=-1, reason=unsafe legacy renegotiation disabled, SSL_error=1', catalogue);
    expect(matches[0]).toMatchObject({ scenario: 'no-secure-renegotiation', exact: true, claim: { client: 'sendmail' } });
  });

  it('a message that several scenarios share is a tie, and every one of them is listed (gnutls says the same of 480 and 512 bits)', () => {
    const { matches, tied } = explain('*** Fatal error: The Diffie-Hellman prime sent by the server is not acceptable (not long enough).', catalogue, 1);
    expect(tied).toBe(2);
    expect(matches.map((match) => match.scenario).sort()).toEqual(['dh480', 'weak-dh']);
  });

  it('sendmail\'s generic "TLS handshake failed" is a tie of every scenario whose handshake sendmail gives up on', () => {
    const { matches, tied } = explain('TLS handshake failed', catalogue);
    expect(tied).toBeGreaterThan(5);
    expect(matches).toHaveLength(tied);
    expect(matches.map((match) => match.scenario)).toContain('weak-dh');
  });

  it('words every scenario shares (smtp, tls, failed) tell nothing, so they match nothing', () => {
    expect(explain('smtp tls failed', catalogue).matches).toEqual([]);
    expect(explain('hello world', catalogue).matches).toEqual([]);
  });

  it('a word match names the words it shares', () => {
    const [best] = explain('450 TLS negotation failure from the GroupWise box', catalogue).matches;
    expect(best).toMatchObject({ scenario: 'groupwise-450', exact: false });
    expect(best!.shared).toEqual(expect.arrayContaining(['negotation']));
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
    const none = await run('node', [CLI, 'explain', 'hello world']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no scenario's symptoms share a telling word with that line");
  });
});
