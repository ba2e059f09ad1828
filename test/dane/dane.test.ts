// The dane-* scenarios, judged by real MTAs routing by real DNS. Each scenario is a domain
// (<scenario>.test) served by startDomains: its MX hosts are servers of the scenario on
// port 25 of loopback addresses of their own, its zone is served by Knot (signed, or not,
// as the page says) and validated by unbound from the trust anchor broken-mta wrote. Every
// MTA sees that resolver and no other: test/mta/run.sh lays a resolv.conf naming it over
// /etc/resolv.conf in the MTA's own mount namespace.
//
// Every claim on the pages is checked here, with the claims machinery's own comparison
// (src/claims/check.ts): Postfix (DANE on), Exim (hosts_try_dane) and, where a Postfix
// claim's note promises it, posttls-finger -l dane printing its first line. kdig shows the
// answers each scenario is built on: validated (AD), insecure (no AD), or SERVFAIL.
//
// Needs root and Debian's knot, knot-dnsutils, unbound (.ci/run installs them) besides
// Postfix and Exim (test/mta/fetch.sh); BROKEN_MTA_NO_DANE=1 skips the suite on purpose.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeExpectation, mismatches } from '../../src/claims/check.js';
import { startDomains, type RunningDomains } from '../../src/domain.js';
import { catalogueNames, loadScenarioWithFile } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import type { EximAttempt } from '../exim/support.js';
import { fetchMta, workDir, type Attempt } from '../mta/support.js';
import type { PostfixAttempt } from '../postfix/support.js';
import { debianInternetConfig, eximJudge, kdig, observationOf, postfixJudge, postTlsFinger } from './judges.js';
import { daneMissing, SKIP_DANE } from './support.js';

const DANE_SCENARIOS = catalogueNames()
  .map((name) => loadScenarioWithFile(name).scenario)
  .filter((scenario) => scenario.dns);

let served: RunningDomains;
let postfix: Map<string, PostfixAttempt>;
let exim: Map<string, EximAttempt>;
const fingers = new Map<string, string>();

/** Throws, naming the claim and showing the MTA's log, when the claim does not hold. */
function assertClaim(scenario: Scenario, index: number, attempt: Attempt | undefined): void {
  const claim = scenario.symptoms[index]!;
  if (!attempt) throw new Error(`${scenario.name}: no ${claim.client} attempt`);
  const found = mismatches(claim, observationOf(attempt));
  if (found.length) {
    throw new Error(
      [`${scenario.name} #${index + 1}: ${claim.client} does not hold`, `expected: ${describeExpectation(claim)}`, ...found.map((m) => `mismatch: ${m}`), `outcome:  ${attempt.outcome}`, 'its log:', ...attempt.log.map((line) => `  | ${line}`)].join('\n'),
    );
  }
}

it.skipIf(SKIP_DANE)('the DANE suite can run here (BROKEN_MTA_NO_DANE=1 skips it)', () => {
  expect(daneMissing()).toBeUndefined();
});

describe.skipIf(SKIP_DANE)('the dane-* scenarios, judged by Postfix, posttls-finger and Exim through a validating resolver', () => {
  beforeAll(async () => {
    const missing = daneMissing();
    if (missing) throw new Error(missing);
    await fetchMta('postfix');
    await fetchMta('exim');
    served = await startDomains(DANE_SCENARIOS.map((scenario) => ({ scenario, domain: `${scenario.name}.test` })));
    // This file's own process: every test/mta/run.sh it starts lays this over /etc/resolv.conf.
    process.env.BROKEN_MTA_RESOLV_CONF = served.dns.resolvConf;
    postfix = await postfixJudge(served);
    for (const domain of served.domains) fingers.set(domain.scenario.name, await postTlsFinger(domain.domain));
    const dir = workDir('exim-dane');
    try {
      exim = await eximJudge(served, await debianInternetConfig(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  afterAll(async () => {
    delete process.env.BROKEN_MTA_RESOLV_CONF;
    const folder = served?.dns.folder;
    await served?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('covers the six DANE pages', () => {
    expect(DANE_SCENARIOS.map((scenario) => scenario.name).sort()).toEqual(['dane-insecure', 'dane-some-mx', 'dane-ta-name-mismatch', 'dane-tlsa-mismatch', 'dane-tlsa-servfail', 'dane-valid']);
  });

  for (const scenario of DANE_SCENARIOS) {
    describe(scenario.name, () => {
      scenario.symptoms.forEach((claim, index) => {
        it(`#${index + 1}: ${claim.client}: ${describeExpectation(claim)}`, () => {
          assertClaim(scenario, index, (claim.client === 'postfix' ? postfix : exim).get(scenario.name));
          if (claim.client === 'postfix' && claim.note?.includes('posttls-finger')) {
            expect(fingers.get(scenario.name)).toContain([claim.logs ?? []].flat()[0]);
          }
        });
      });
    });
  }

  it('dane-valid: its TLSA record is answered with the AD bit (validated from the trust anchor)', async () => {
    const answer = await kdig(served, '_25._tcp.mx1.dane-valid.test', 'TLSA');
    expect(answer.status).toBe('NOERROR');
    expect(answer.flags).toContain('ad');
    expect(answer.answer).toMatch(/TLSA\s+3 1 1 [0-9A-F]{64}/);
    expect(served.dns.trustAnchor).toMatch(/^dane-valid\.test\. DS \d+ 13 2 [0-9a-f]{64}$/m);
  });

  it('dane-tlsa-mismatch and dane-ta-name-mismatch: their records validate too; the fault is in what they pin', async () => {
    for (const name of ['_25._tcp.mx1.dane-tlsa-mismatch.test', '_25._tcp.mx1.dane-ta-name-mismatch.test']) {
      expect((await kdig(served, name, 'TLSA')).flags).toContain('ad');
    }
    expect((await kdig(served, '_25._tcp.mx1.dane-ta-name-mismatch.test', 'TLSA')).answer).toMatch(/TLSA\s+2 1 1 /);
  });

  it('dane-tlsa-servfail: the TLSA lookup answers SERVFAIL, the MX lookup does not', async () => {
    expect((await kdig(served, '_25._tcp.mx1.dane-tlsa-servfail.test', 'TLSA')).status).toBe('SERVFAIL');
    const mx = await kdig(served, 'dane-tlsa-servfail.test', 'MX');
    expect(mx.status).toBe('NOERROR');
    expect(mx.flags).toContain('ad');
  });

  it('dane-insecure: the TLSA record is there, without the AD bit', async () => {
    const answer = await kdig(served, '_25._tcp.mx1.dane-insecure.test', 'TLSA');
    expect(answer.answer).toMatch(/TLSA\s+3 1 1 /);
    expect(answer.flags).not.toContain('ad');
  });

  it('dane-some-mx: mx2 has a validated TLSA record, mx1 provably none', async () => {
    expect((await kdig(served, '_25._tcp.mx2.dane-some-mx.test', 'TLSA')).flags).toContain('ad');
    const none = await kdig(served, '_25._tcp.mx1.dane-some-mx.test', 'TLSA');
    expect(none.status).toBe('NXDOMAIN');
    expect(none.flags).toContain('ad');
  });
});
