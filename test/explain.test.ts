// `explain`: the field's log lines, as the README quotes them, lead to the scenario that
// reproduces them, through the catalogue's own symptom texts.
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
    const [best] = explain(line, catalogue);
    expect(best?.scenario).toBe(scenario);
    expect(best!.shared.length).toBeGreaterThan(0);
  });

  it('a message that several scenarios share lists them all (gnutls says the same of 480 and 512 bits)', () => {
    const found = explain('*** Fatal error: The Diffie-Hellman prime sent by the server is not acceptable (not long enough).', catalogue);
    expect(found.map((match) => match.scenario).slice(0, 2).sort()).toEqual(['dh480', 'weak-dh']);
  });

  it('a line with nothing telling in it matches nothing', () => {
    expect(explain('hello world', catalogue)).toEqual([]);
  });

  it('the command prints the matches and how to run them; nothing found exits 1', async () => {
    const found = await run('node', [CLI, 'explain', 'reason=dh key too small', '-n', '1']);
    expect(found.code).toBe(0);
    expect(found.stdout).toMatch(/^1\. weak-dh: /m);
    expect(found.stdout).toContain('run it: broken-mta --scenario weak-dh');
    const none = await run('node', [CLI, 'explain', 'hello world']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no scenario's symptoms share a telling word with that line");
  });
});
