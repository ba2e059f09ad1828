// The README's "MTA-STS test domains", run as printed: `broken-mta dns` from an installed
// project serving sts-policy-bad-cert, then Debian's mta-sts-query in a mount namespace
// whose /etc/resolv.conf names the domain's resolver; and the Postfix line it names is the
// one the claims' Postfix runs with.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Claim } from '../../src/claims/claim.js';
import { MTA_STS_POLICY_MAP } from '../../src/claims/kinds/postfix.js';
import { catalogueNames, loadScenarioWithFile } from '../../src/scenario/load.js';
import { run } from '../support/clients.js';
import { codeBlocks, installedProject, README } from '../support/readme.js';
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

  // The judges' table: one row a scenario; each cell's outcome is the claim's (delivered or
  // not; attempt 2 where the cell says "once id 2 is out") and its line is in that claim.
  it('its table of what each sender does is what the pages claim, row for row', () => {
    const table = README.split('<!-- sts-judges:start -->')[1]!.split('<!-- sts-judges:end -->')[0]!;
    const rows = [...table.matchAll(/^\| `([a-z0-9-]+)` \| (.+) \| (.+) \|$/gm)];
    expect(rows.map((row) => row[1]).sort()).toEqual(catalogueNames().filter((name) => name.startsWith('sts-')));
    for (const [, name, mxConnect, postfix] of rows) {
      const { symptoms } = loadScenarioWithFile(name!).scenario;
      checkCell(name!, mxConnect!, symptoms.filter((claim) => claim.client === 'mx-connect'));
      checkCell(name!, postfix!, symptoms.filter((claim) => claim.client === 'postfix' && claim.with?.mtaSts));
    }
  });
});

function checkCell(scenario: string, cell: string, claims: Claim[]): void {
  const [, outcome, line] = /^(.+?): `(.+)`$/.exec(cell) ?? [];
  expect(outcome, `${scenario}: ${cell}`).toMatch(/^(delivered, verified|delivered, not verified|delivered without a policy|not delivered|deferred)(, once id 2 is out)?$/);
  const claim = claims.find((c) => (c.attempt ?? 1) === (outcome!.endsWith('once id 2 is out') ? 2 : 1));
  expect(claim, `${scenario}: no claim for ${cell}`).toBeDefined();
  expect(claim!.delivered, `${scenario}: ${cell}`).toBe(outcome!.startsWith('delivered'));
  const quoted = [claim!.prints ?? [], claim!.logs ?? []].flat();
  expect(quoted.some((text) => text.includes(line!)), `${scenario}: ${line} is in no line of the claim (${quoted.join(' | ')})`).toBe(true);
}
