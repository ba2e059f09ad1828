// The README's "DANE test domains", run as printed: `broken-mta dns` from an installed
// project, then kdig and posttls-finger in a mount namespace whose /etc/resolv.conf names
// its resolver. posttls-finger is Postfix's, which is unpacked rather than installed here:
// the script runs inside test/mta/run.sh's namespace, where it is where Debian puts it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchMta, RUN_IN_NAMESPACE } from '../mta/support.js';
import { run } from '../support/clients.js';
import { codeBlocks, installedProject } from '../support/readme.js';
import { postfixDaneSettings } from './judges.js';
import { daneMissing, SKIP_DANE } from './support.js';

describe.skipIf(SKIP_DANE)('README: DANE test domains', () => {
  const [script, postconf] = codeBlocks('## DANE test domains');

  it('the recipe runs as printed: the TLSA record validates, posttls-finger finds no match, and everything stops', { timeout: 120_000 }, async () => {
    expect(daneMissing()).toBeUndefined();
    await fetchMta('postfix');
    const project = installedProject();
    const result = await run(RUN_IN_NAMESPACE, ['postfix', 'bash', '-euo', 'pipefail', '-c', script!], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(/;; Flags: qr rd ra ad;/);
    expect(result.stdout).toMatch(/_25\._tcp\.mx1\.example\.test\.\s+\d+\s+IN\s+TLSA\s+3 1 1 /);
    expect(result.output).toContain('num=65:no matching DANE TLSA records');
    const served = JSON.parse(readFileSync(join(project, 'dane.json'), 'utf8').split('\n')[0]!) as { resolvConf: string; trustAnchorFile: string; mx: Array<{ address: string }> };
    expect(readFileSync(join(project, 'dane-ta.ds'), 'utf8')).toMatch(/^example\.test\. DS \d+ 13 2 [0-9a-f]{64}\n$/);
    expect(served.trustAnchorFile).toBe(join(project, 'dane-ta.ds'));
    // The trap stopped it: no broken-mta, no Knot or unbound of this run (their folders are
    // in its TMPDIR) is left, and the private folder is gone with them.
    const left = await run('pgrep', ['-af', 'knotd|unbound|broken-mta dns']);
    expect(left.stdout.split('\n').filter((line) => line.includes(process.env.TMPDIR!))).toEqual([]);
    expect(readdirSync(process.env.TMPDIR!).filter((name) => name.startsWith('broken-mta-dns-'))).toEqual([]);
    expect(existsSync(join(project, 'dane-resolv.conf'))).toBe(true);
  });

  it("the Postfix settings it names are the ones the suite's Postfix runs with", () => {
    const settings = postfixDaneSettings('example.test').slice(0, 2);
    expect(postconf).toBe(`postconf -e ${settings.map((line) => `'${line}'`).join(' ')}\n`);
  });
});
