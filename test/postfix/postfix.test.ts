// Real Postfix against the scenarios: the mail admins' regression suite. Each test sends
// one message with Debian's Postfix 3.7 (Debian's stock main.cf, relayhost = the scenario)
// and asserts two things nothing here fakes: the lines Postfix wrote to its log file, and
// what the scenario's server saw (its events and the messages it kept).
//
// Postfix is not installed (its package conflicts with sendmail-bin): test/mta/fetch.sh
// unpacks it into .mta/. Without root or apt the suite fails, naming what is missing;
// BROKEN_MTA_NO_POSTFIX=1 skips it on purpose.
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Observation } from '../../src/claims/check.js';
import { clientKind, type PostfixInvocation } from '../../src/claims/clients.js';
import { explain } from '../../src/explain.js';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { catalogueNames, loadScenarioWithFile } from '../../src/scenario/load.js';
import { body, CHARTED, chartCell, chartFile, chartText, checkServerSide, recipient, spendSessions, STARTTLS_REFUSED, type ChartCell, type ServerSide } from '../mta/chart.js';
import { commands, eventsOf, fetchMta, leftovers, logged, missingTools, mtaCommand, notLogged, recipeRow, REPO, runMatrix, runRecipe, STOCK_CONFIG } from '../mta/support.js';
import { assertHolds, catalogueClaims, CLAIM_IDLE_TIMEOUT_MS, claimTitle, targetOf, type ScenarioClaim } from '../support/claims.js';
import { PostfixInstance, postfixKeyLine, SHORT_TIMEOUTS, type PostfixAttempt } from './support.js';

const skipOnPurpose = process.env.BROKEN_MTA_NO_POSTFIX === '1';
const catalogue = catalogueNames().map((name) => loadScenarioWithFile(name).scenario);

let mta: RunningScenario | undefined;
let postfix: PostfixInstance | undefined;

async function sendTo(scenario: string, options: Parameters<typeof PostfixInstance.create>[1] = {}): Promise<PostfixAttempt> {
  mta = await startScenario(scenario);
  postfix = await PostfixInstance.create(mta, options);
  return postfix.send();
}

async function fresh(): Promise<void> {
  await postfix?.remove();
  await mta?.close();
  postfix = undefined;
  mta = undefined;
}

const DEFERRED_NO_TLS = /dsn=4\.7\.5, status=deferred \(Cannot start TLS: handshake failure\)/;

/** The server's side of each charted scenario, where there is more to it than the outcome. */
const alertFromPostfix = (code: number, name: string): ServerSide => ({ events: [{ type: 'tls-failed', clientAlert: { code, name } }], sessions: 1 });
const SERVER: Record<string, ServerSide> = {
  good: { events: [{ type: 'tls-established', protocol: 'TLSv1.3' }] },
  'weak-key-512': { events: [{ type: 'tls-established', protocol: 'TLSv1.2' }] },
  'tls10-only': { events: [{ type: 'tls-established', protocol: 'TLSv1' }] },
  'dh1024': { events: [{ type: 'tls-established', keyExchange: { kind: 'DHE', group: '1024', bits: 1024 } }] },
  'dh-composite': { events: [{ type: 'tls-established', keyExchange: { kind: 'DHE', group: 'composite', bits: 2048 } }] },
  'weak-dh': alertFromPostfix(40, 'handshake_failure'),
  dh480: alertFromPostfix(47, 'illegal_parameter'),
  'ssl3-only': alertFromPostfix(70, 'protocol_version'),
  'bad-ske-signature': alertFromPostfix(51, 'decrypt_error'),
  'no-secure-renegotiation': alertFromPostfix(40, 'handshake_failure'),
  'abort-alert': { events: [{ type: 'tls-failed', serverAlert: { code: 40, name: 'handshake_failure' } }], sessions: 1 },
  'alert-after-certificate': { events: [{ type: 'tls-failed', serverAlert: { code: 40, name: 'handshake_failure' } }], sessions: 1 },
  'handshake-abort': { events: [{ type: 'fault', fault: 'abort-close', step: 'TLS' }], sessions: 1 },
  'groupwise-450': { events: [{ type: 'fault', fault: 'reply', step: 'STARTTLS' }], sessions: 1 },
  greylist: { events: [{ type: 'fault', fault: 'reply', step: 'RCPT' }] },
  'rate-limit-421': { events: [{ type: 'fault', fault: 'reply', step: 'CONNECT', session: 3 }] },
  'data-timeout': { events: [{ type: 'message' }] },
};

// Outside the describe, so that a machine without what Postfix needs counts one failed test, saying why.
it.skipIf(skipOnPurpose)('Postfix can be unpacked and run here (BROKEN_MTA_NO_POSTFIX=1 skips the suite)', () => {
  expect(missingTools('postfix')).toBeUndefined();
});

describe.skipIf(skipOnPurpose)('real Postfix against scenarios', () => {
  beforeAll(async () => {
    const missing = missingTools('postfix');
    if (missing) throw new Error(missing);
    await fetchMta('postfix');
  }, 300_000);

  afterEach(fresh);

  describe('the chart', () => {
    // The chart (test/mta/chart.ts): every scenario of interest, one delivery attempt each,
    // with Debian's stock main.cf; Postfix's key line and the outcome are compared with
    // test/mta/chart/postfix.json at the end, the server's side here. One Postfix serves the
    // whole chart, every scenario at once (with smtp_starttls_timeout and
    // smtp_data_done_timeout at 5 s for the two that hang).
    const chart = new Map<string, ChartCell>();
    const attempts = new Map<string, PostfixAttempt>();
    const servers: RunningScenario[] = [];
    let charting: PostfixInstance | undefined;
    beforeAll(async () => {
      for (const charted of CHARTED) servers.push(await startScenario(charted.scenario, charted.limits ? { limits: charted.limits } : {}));
      charting = await PostfixInstance.create(servers, { settings: SHORT_TIMEOUTS });
      for (const [index, charted] of CHARTED.entries()) if (charted.sessionsBefore) await spendSessions(servers[index]!, charted.sessionsBefore);
      const letters = CHARTED.map((charted, index) => ({
        mta: servers[index]!,
        local: recipient(charted).split('@')[0]!,
        ...(charted.bodyBytes ? { body: body(charted.bodyBytes) } : {}),
      }));
      for (const [index, attempt] of (await charting.sendAll(letters)).entries()) attempts.set(CHARTED[index]!.scenario, attempt);
    }, 120_000);
    afterAll(async () => {
      await charting?.remove();
      for (const server of servers) await server.close();
    });

    it.each(CHARTED.map((charted) => [charted.scenario, charted] as const))('chart: %s', (_name, charted) => {
      const result = attempts.get(charted.scenario)!;
      chart.set(charted.scenario, chartCell('postfix', charted.scenario, result.outcome, postfixKeyLine(result)));
      checkServerSide(result, charted, SERVER[charted.scenario]);
      if (STARTTLS_REFUSED.includes(charted.scenario)) notLogged(result, /TLS| 45[04] | 502 /);
      // At level may Postfix says Untrusted, never why.
      if (charted.scenario === 'expired-cert') notLogged(result, /certificate has expired|verification failed/);
    });

    it('the chart matches test/mta/chart/postfix.json (`npx vitest run test/postfix --update` rewrites it)', async () => {
      expect([...chart.keys()]).toEqual(CHARTED.map(({ scenario }) => scenario));
      await expect(chartText(chart)).toMatchFileSnapshot(chartFile('postfix'));
    });

    // explain's index is the catalogue's claims: a line Postfix really wrote leads back.
    it.each([
      ['weak-dh', /TLS library problem/],
      ['abort-garbage', /TLS library problem/],
      ['data-timeout', / status=deferred /],
      ['user-unknown-550', / status=bounced /],
    ])('explain: the line Postfix logged for %s leads to it', (scenario, pattern) => {
      const line = attempts.get(scenario)!.log.find((text) => pattern.test(text))!;
      const { matches } = explain(line, catalogue);
      expect(matches[0]?.scenario, line).toBe(scenario);
    });
  });

  // What the chart does not show: the fixes, as an admin applies them to a running Postfix.
  it('expired-cert with policy verify match=mx.broken-mta.test: server certificate verification failed ... certificate has expired, deferred; QUIT right after the handshake', async () => {
    const result = await sendTo('expired-cert', { policy: 'verify match=mx.broken-mta.test' });
    logged(result, /postfix\/smtp\[\d+\]: server certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: certificate has expired$/);
    expect(result.status).toMatch(/dsn=4\.7\.5, status=deferred \(Server certificate not verified\)$/);
    // The handshake completed; Postfix says QUIT inside TLS at once, not even EHLO.
    expect(eventsOf(result, 'tls-established')).toHaveLength(1);
    expect(commands(result)).toEqual(['EHLO', 'STARTTLS', 'QUIT']);
    expect(result.messages).toHaveLength(0);
  });

  describe('handshake-abort: the message in the queue', () => {
    it('goes out in plaintext once the policy says none (postmap, postfix reload, postqueue -f)', async () => {
      const first = await sendTo('handshake-abort');
      expect(first.status).toMatch(DEFERRED_NO_TLS);
      expect(first.sessionsSeen).toBe(1);
      expect(first.deferred).toHaveLength(1);
      await postfix!.setPolicy('none');
      const retry = await postfix!.flush();
      expect(retry.status).toMatch(/dsn=2\.0\.0, status=sent \(250 Message accepted\)/);
      expect(retry.outcome).toBe('delivered in plaintext');
      expect(retry.deferred).toEqual([]);
    });

    it('with no fix at all, goes out in plaintext on the retry after minimal_backoff_time: opportunistic TLS gives up on TLS for old mail', async () => {
      mta = await startScenario('handshake-abort');
      postfix = await PostfixInstance.create(mta, { settings: ['minimal_backoff_time = 2s', 'maximal_backoff_time = 4s'] });
      const first = await postfix.send();
      expect(first.status).toMatch(DEFERRED_NO_TLS);
      // Postfix falls back once the message has waited minimal_backoff_time (300 s by
      // default) in the queue: smtp_proto.c, PLAINTEXT_FALLBACK_OK_AFTER_STARTTLS_FAILURE.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const retry = await postfix.flush();
      logged(retry, /SSL_connect error to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: lost connection$/);
      logged(retry, /postfix\/smtp\[\d+\]: [0-9A-F]+: Cannot start TLS: handshake failure$/);
      expect(retry.status).toMatch(/dsn=2\.0\.0, status=sent \(250 Message accepted\)/);
      expect(retry.outcome).toBe('delivered in plaintext');
      // The TLS attempt and the plaintext one are two connections of the same run.
      expect(retry.sessionsSeen).toBe(3);
      expect(retry.messages).toMatchObject([{ session: 3, secure: false }]);
    });
  });

  it('tls10-only (delivered over TLSv1 by default, as charted): smtp_tls_protocols = >=TLSv1.2 turns it into alert 70, deferred', async () => {
    const strict = await sendTo('tls10-only', { settings: ['smtp_tls_protocols = >=TLSv1.2'] });
    logged(strict, /warning: TLS library problem: error:0A00042E:SSL routines::tlsv1 alert protocol version:.*SSL alert number 70:/);
    expect(strict.status).toMatch(DEFERRED_NO_TLS);
    expect(eventsOf(strict, 'tls-failed')).toMatchObject([{ serverAlert: { code: 70, name: 'protocol_version' } }]);
  });

  describe("posttls-finger, Postfix's own TLS probe", () => {
    const finger = async (scenario: string, level = 'may') => {
      mta = await startScenario(scenario);
      return mtaCommand('postfix', ['posttls-finger', '-c', '-l', level, '-F', mta.caFile, `[127.0.0.1]:${mta.port}`]);
    };

    it('good: the certificate, then Trusted TLS connection established', async () => {
      const result = await finger('good');
      expect(result.output).toMatch(/^posttls-finger: 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: subject_CN=mx\.broken-mta\.test, issuer_CN=broken-mta test CA, fingerprint=/m);
      expect(result.output).toMatch(/^posttls-finger: Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384/m);
    });

    it('expired-cert at level verify: server certificate verification failed ... certificate has expired', async () => {
      const result = await finger('expired-cert', 'verify');
      expect(result.output).toMatch(/^posttls-finger: server certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: certificate has expired$/m);
    });

    it('weak-dh: SSL_connect error, dh key too small (and exit 0 all the same)', async () => {
      const result = await finger('weak-dh');
      expect(result.code).toBe(0);
      expect(result.output).toMatch(/^posttls-finger: SSL_connect error to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: -1$/m);
      expect(result.output).toMatch(/^posttls-finger: warning: TLS library problem: error:0A00018A:SSL routines::dh key too small:/m);
      expect(mta!.events.filter((e) => e.type === 'tls-failed')).toMatchObject([{ clientAlert: { code: 40 } }]);
    });

    it('tls10-only: TLSv1 with cipher ECDHE-RSA-AES256-SHA, where openssl s_client and sendmail refuse', async () => {
      const result = await finger('tls10-only');
      expect(result.output).toMatch(/^posttls-finger: Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1 with cipher ECDHE-RSA-AES256-SHA \(256\/256 bits\)$/m);
    });
  });

  describe('examples/postfix/run.sh', () => {
    const STOCK = STOCK_CONFIG.postfix;

    it("on Debian's stock main.cf prints the table; nothing is left behind", async () => {
      const result = await runRecipe('postfix', [STOCK, 'good', 'expired-cert', 'handshake-abort', 'weak-dh', 'groupwise-450', 'greylist']);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toMatch(/^scenario +outcome +what Postfix logged$/m);
      expect(result.stdout).toMatch(recipeRow('good', 'delivered over TLS', /Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.3 with cipher TLS_AES_256_GCM_SHA384/));
      expect(result.stdout).toMatch(recipeRow('expired-cert', 'delivered over TLS', /Untrusted TLS connection established to .*/));
      expect(result.stdout).toMatch(recipeRow('handshake-abort', 'deferred', /SSL_connect error to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: lost connection/));
      expect(result.stdout).toMatch(recipeRow('weak-dh', 'deferred', /warning: TLS library problem: error:0A00018A:SSL routines::dh key too small/));
      expect(result.stdout).toMatch(recipeRow('groupwise-450', 'delivered in plaintext', /status=sent \(250 Message accepted\)/));
      expect(result.stdout).toMatch(recipeRow('greylist', 'deferred', /status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 450 4\.2\.0 Greylisted, .*/));
      expect(leftovers('postfix')).toEqual([]);
    });

    it('POLICY=none: the fix delivers weak-dh and handshake-abort in plaintext', async () => {
      const result = await runRecipe('postfix', [STOCK, 'weak-dh', 'handshake-abort'], { POLICY: 'none' });
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toMatch(recipeRow('weak-dh', 'delivered in plaintext', /status=sent \(250 Message accepted\)/));
      expect(result.stdout).toMatch(recipeRow('handshake-abort', 'delivered in plaintext', /status=sent \(250 Message accepted\)/));
    });

    it('POLICY="verify match=mx.broken-mta.test": expired-cert deferred, and the line says why', async () => {
      const result = await runRecipe('postfix', [STOCK, 'good', 'expired-cert'], { POLICY: 'verify match=mx.broken-mta.test' });
      expect(result.stdout).toMatch(recipeRow('good', 'delivered over TLS', /Verified TLS connection established to .*/));
      expect(result.stdout).toMatch(recipeRow('expired-cert', 'deferred', /server certificate verification failed for 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: certificate has expired/));
    });

    it('--to HOST:PORT: `matrix --client postfix` holds the admin\'s Postfix to the pages\' postfix claims, and a change of behaviour fails', async () => {
      const command = ['--', join(REPO, 'examples', 'postfix', 'run.sh'), '--to', '{host}:{port}', STOCK];
      const held = await runMatrix(['matrix', '--client', 'postfix', '--jobs', '2', '--scenarios', 'good,weak-dh,greylist', ...command]);
      expect(held.code, held.output).toBe(0);
      expect(held.stdout).toMatch(/^weak-dh +logs "warning: TLS library problem: error:0A00018A:SSL routines::dh key too small", client alert 40 \(handshake_failure\), not delivered +.* pass$/m);
      expect(held.stdout).toContain('3 passed, 0 failed');
      // The recipe's POLICY=none changes what Postfix does with weak-dh: the row says so.
      const changed = await runMatrix(['matrix', '--client', 'postfix', '--scenarios', 'weak-dh', ...command], { POLICY: 'none' });
      expect(changed.code).toBe(1);
      expect(changed.stdout).toMatch(/^weak-dh .*FAIL: logs "warning: TLS library problem: error:0A00018A:SSL routines::dh key too small": in no line of its log; .*not delivered, got delivered in plaintext/m);
    });

    it('bad input: no main.cf, exit 2', async () => {
      const result = await runRecipe('postfix', ['/nonexistent/main.cf']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('cannot read /nonexistent/main.cf\n');
    });
  });

  // Every postfix claim of the scenario pages, as `broken-mta show` prints it: the policy
  // entry and main.cf settings its `with` names, Postfix's log read as the admin reads it.
  // A Postfix start costs seconds, so one instance serves every claim with the same main.cf
  // settings, each claim against a fresh server of its scenario, as a next hop of its own.
  describe('every postfix claim of the catalogue holds', () => {
    // With mtaSts, a claim is about a domain (its DNS, its policy host): test/mta-sts runs those.
    const claims = catalogueClaims('postfix').filter(({ claim }) => !claim.with?.mtaSts);
    const runs = new Map<ScenarioClaim, { invocation: PostfixInvocation; observation: Observation }>();
    const servers: RunningScenario[] = [];
    const instances: PostfixInstance[] = [];
    beforeAll(async () => {
      const planned: Array<{ entry: ScenarioClaim; mta: RunningScenario; invocation: PostfixInvocation }> = [];
      for (const entry of claims) {
        if (entry.claim.attempt) throw new Error(`${claimTitle(entry)}: this runner makes one attempt per claim`);
        const mta = await startScenario(entry.scenario, { limits: { idleTimeoutMs: CLAIM_IDLE_TIMEOUT_MS } });
        servers.push(mta);
        const invocation = clientKind('postfix')!.invoke(entry.claim.with ?? {}, await targetOf(mta), 1);
        if (invocation.kind !== 'postfix') throw new Error(`not a postfix invocation: ${invocation.kind}`);
        planned.push({ entry, mta, invocation });
      }
      const groups = new Map<string, typeof planned>();
      for (const run of planned) {
        const key = run.invocation.settings.join('\n');
        groups.set(key, [...(groups.get(key) ?? []), run]);
      }
      for (const group of groups.values()) {
        const policyOf = new Map(group.map(({ mta, invocation }) => [mta, invocation.policy]));
        const instance = await PostfixInstance.create(
          group.map(({ mta }) => mta),
          { settings: group[0]!.invocation.settings, policy: (mta) => policyOf.get(mta) },
        );
        instances.push(instance);
        const letters = group.map(({ mta, invocation }) => ({
          mta,
          local: invocation.to.map((address) => address.split('@')[0]!),
          ...(invocation.bodyBytes ? { body: body(invocation.bodyBytes) } : {}),
        }));
        for (const [index, attempt] of (await instance.sendAll(letters)).entries()) {
          const { entry, invocation, mta } = group[index]!;
          runs.set(entry, { invocation, observation: { exitCode: 0, timedOut: false, output: '', log: attempt.log, events: [...mta.events] } });
        }
      }
    }, 180_000);
    afterAll(async () => {
      for (const instance of instances) await instance.remove();
      for (const server of servers) await server.close();
    });

    it('there are some', () => expect(claims.length).toBeGreaterThan(0));
    it.each(claims.map((entry) => [claimTitle(entry), entry] as const))('claim %s', (_title, entry) => {
      const { invocation, observation } = runs.get(entry)!;
      assertHolds(entry, invocation, observation);
    });
  });
});
