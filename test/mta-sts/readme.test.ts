// The README's "MTA-STS test domains", run as printed: `broken-mta dns` from an installed
// project serving sts-policy-bad-cert, then Debian's mta-sts-query in a mount namespace
// whose /etc/resolv.conf names the domain's resolver; and the Postfix line it names is the
// one the claims' Postfix runs with.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MTA_STS_POLICY_MAP } from '../../src/claims/kinds/postfix.js';
import { run } from '../support/clients.js';
import { codeBlocks, installedProject } from '../support/readme.js';
import { missingResolver } from './support.js';

const skipOnPurpose = process.env.BROKEN_MTA_NO_POSTFIX === '1';

describe('README: MTA-STS test domains', () => {
  const [script, postconf] = codeBlocks('## MTA-STS test domains');

  it.skipIf(skipOnPurpose)('the recipe runs as printed: mta-sts-query cannot fetch the policy past the expired certificate, and everything stops', { timeout: 120_000 }, async () => {
    expect(missingResolver()).toBeUndefined();
    const project = installedProject();
    const result = await run('bash', ['-euo', 'pipefail', '-c', script!], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('(<STSFetchResult.FETCH_ERROR: 2>, None)');
    expect(result.stderr).toContain("STS policy fetch for domain 'example.test' failed with error: Cannot connect to host mta-sts.example.test:443");
    expect(result.stderr).toContain('certificate verify failed: certificate has expired');
    const served = JSON.parse(readFileSync(join(project, 'sts.json'), 'utf8').split('\n')[0]!) as { mx: Array<{ host: string; port: number }>; mtaSts: { txt: string; policy: string; port: number } };
    expect(served.mx).toEqual([expect.objectContaining({ host: 'mx.example.test', port: 25 })]);
    expect(served.mtaSts).toMatchObject({ txt: 'v=STSv1; id=20260101T000000', policy: 'https://mta-sts.example.test/.well-known/mta-sts.txt', port: 443 });
    // The trap stopped it: no Knot or unbound of this run is left, nor its private folder.
    const left = await run('pgrep', ['-af', 'knotd|unbound|broken-mta dns']);
    expect(left.stdout.split('\n').filter((line) => line.includes(process.env.TMPDIR!))).toEqual([]);
    expect(readdirSync(process.env.TMPDIR!).filter((name) => name.startsWith('broken-mta-dns-'))).toEqual([]);
  });

  it.skipIf(skipOnPurpose)('the same recipe against sts-enforce-valid prints the policy, as the README says', { timeout: 120_000 }, async () => {
    const project = installedProject();
    const result = await run('bash', ['-euo', 'pipefail', '-c', script!.replace('sts-policy-bad-cert', 'sts-enforce-valid')], { cwd: project, timeoutMs: 60_000 });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("(<STSFetchResult.VALID: 1>, ('20260101T000000', {'mx': ['mx.example.test'], 'version': 'STSv1', 'mode': 'enforce', 'max_age': 86400}))");
  });

  it("the Postfix setting it names is the one the claims' Postfix runs with", () => {
    expect(postconf).toBe(`postconf -e '${MTA_STS_POLICY_MAP}'\n`);
  });
});
