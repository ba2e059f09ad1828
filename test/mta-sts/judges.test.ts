// The MTA-STS scenarios judged by real senders, each claim against a domain of its own
// (src/mta-sts/domain.ts: the MX on :25, the policy host on :443, Knot and unbound):
// mx-connect, as a Node developer delivers (examples/mta-sts/mx-connect.mjs, run as `show`
// prints it), and Postfix with Debian's postfix-mta-sts-resolver as its TLS policy map.
// A claim with `attempt: 2` is about the run after the domain published its `next` policy.
//
// Needs root (ports 25, 443, 53, and the MTA's mount namespace), knot, unbound and
// postfix-mta-sts-resolver; BROKEN_MTA_NO_POSTFIX=1 skips it on purpose, as the Postfix suite.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../src/claims/check.js';
import { clientKind, commandLine, type Invocation } from '../../src/claims/clients.js';
import { MTA_STS_POLICY_MAP } from '../../src/claims/kinds/postfix.js';
import { observeRun } from '../../src/claims/observe.js';
import { catalogueNames, loadScenarioWithFile } from '../../src/scenario/load.js';
import { startStsDomain, type StsDomain } from '../../src/mta-sts/domain.js';
import { fetchMta, missingTools } from '../mta/support.js';
import { PostfixInstance } from '../postfix/support.js';
import { assertHolds, CLAIM_IDLE_TIMEOUT_MS, claimTitle, targetOf, type ScenarioClaim } from '../support/claims.js';
import { runShell } from '../../src/claims/run.js';
import { missingResolver, StsDaemon } from './support.js';

/**
 * What the policy host saw of each scenario's senders: the answer every request got. A
 * follower of the redirect would ask for /moved/mta-sts.txt too; no sender gets past the
 * expired certificate to ask at all.
 */
const POLICY_ANSWERS: Record<string, Array<number | 'no answer'>> = {
  'sts-policy-404': [404],
  'sts-policy-redirect': [301],
  'sts-policy-timeout': ['no answer'],
  'sts-policy-bad-cert': [],
};

const skipOnPurpose = process.env.BROKEN_MTA_NO_POSTFIX === '1';
const scenarios = catalogueNames()
  .map((name) => loadScenarioWithFile(name).scenario)
  .filter((scenario) => scenario.mtaSts);
const claims: ScenarioClaim[] = scenarios.flatMap((scenario) => scenario.symptoms.map((claim, at) => ({ scenario, claim, index: at + 1 })));

/** What one claim runs against: its own domain, and the daemon and Postfix once a Postfix claim needs them. */
interface Bench {
  domain: StsDomain;
  daemon?: StsDaemon;
  postfix?: PostfixInstance;
}

async function invocationFor({ domain }: Bench, entry: ScenarioClaim, attempt: number): Promise<Invocation> {
  const target = { ...(await targetOf(domain.mx)), resolver: domain.dns().resolver.address };
  return clientKind(entry.claim.client)!.invoke(entry.claim.with ?? {}, target, attempt);
}

/** One run of the claim's command (mx-connect), or one message through Postfix and the daemon. */
async function runAttempt(bench: Bench, entry: ScenarioClaim, invocation: Invocation): Promise<Observation> {
  const { domain } = bench;
  if (invocation.kind === 'command') {
    return observeRun(domain.mx, () => runShell(commandLine(invocation), invocation.timeoutMs), CLAIM_IDLE_TIMEOUT_MS);
  }
  if (invocation.kind !== 'postfix' || !entry.claim.with?.mtaSts) throw new Error(`${claimTitle(entry)}: this suite runs mx-connect and postfix with mtaSts`);
  const daemon = (bench.daemon ??= await StsDaemon.start(domain.dns().resolvConf, domain.mx.caFile));
  const settings = invocation.settings.map((line) => (line === MTA_STS_POLICY_MAP ? daemon.policyMap : line));
  // Postfix's namespace gets the domain's resolv.conf (test/mta/run.sh), as the daemon's does.
  const env = { BROKEN_MTA_RESOLV_CONF: domain.dns().resolvConf };
  const postfix = (bench.postfix ??= await PostfixInstance.create(domain.mx, { settings: [`relayhost = ${invocation.nextHop}`, ...settings], env }));
  const daemonFrom = daemon.log().length;
  const offset = domain.mx.events.length;
  const attempt = await postfix.send({ mta: domain.mx, address: invocation.to[0]! });
  // The daemon's lines are the admin's log too: Postfix says only what policy it was given.
  return { exitCode: 0, timedOut: false, output: '', log: [...daemon.log().slice(daemonFrom), ...attempt.log], events: domain.mx.events.slice(offset) };
}

async function closeBench(bench: Bench): Promise<void> {
  await bench.postfix?.remove();
  await bench.daemon?.stop();
  await bench.domain.close();
}

describe.skipIf(skipOnPurpose)('MTA-STS scenarios, judged by mx-connect and by Postfix with postfix-mta-sts-resolver', () => {
  beforeAll(async () => {
    const missing = missingTools('postfix') ?? missingResolver();
    if (missing) throw new Error(missing);
    await fetchMta('postfix');
  }, 300_000);

  it('there are some', () => expect(claims.length).toBeGreaterThan(0));

  // Each claim has a domain, a resolver, a daemon and a Postfix of its own: they run side by side.
  for (const entry of claims) {
    it.concurrent(claimTitle(entry), { timeout: 120_000 }, async () => {
      const domain = await startStsDomain(entry.scenario, { limits: { idleTimeoutMs: CLAIM_IDLE_TIMEOUT_MS } });
      const bench: Bench = { domain };
      try {
        await holds(bench, entry);
      } finally {
        await closeBench(bench);
      }
    });
  }
});

async function holds(bench: Bench, entry: ScenarioClaim): Promise<void> {
  const { domain } = bench;
  let invocation: Invocation | undefined;
  let observation: Observation | undefined;
  for (let attempt = 1; attempt <= (entry.claim.attempt ?? 1); attempt++) {
    if (attempt === 2 && entry.scenario.mtaSts?.next) await domain.rotate();
    invocation = await invocationFor(bench, entry, attempt);
    observation = await runAttempt(bench, entry, invocation);
  }
  assertHolds(entry, invocation!, observation!);
  const answers = [...new Set(domain.policyRequests.map((request) => request.status))];
  expect(answers).toEqual(POLICY_ANSWERS[entry.scenario.name] ?? [200]);
  expect(domain.policyRequests.every((request) => request.path === '/.well-known/mta-sts.txt')).toBe(true);
  if (entry.claim.attempt === 2) expect(domain.policyRequests.map((request) => request.id).at(-1)).toBe(entry.scenario.mtaSts!.next!.id);
}
