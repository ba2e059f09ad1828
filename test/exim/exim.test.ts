// Real Exim against the scenarios: the mail admins' regression suite. Each test sends one
// message with Debian's Exim 4.96 (GnuTLS), configured the Debian way as a smarthost client
// of the scenario, and asserts two things nothing here fakes: the lines Exim wrote to its
// mainlog, and what the scenario's server saw (its events and the messages it kept).
//
// Exim is not installed (its package conflicts with sendmail-bin): test/mta/fetch.sh
// unpacks it into .mta/. Without root or apt the suite fails, naming what is missing;
// BROKEN_MTA_NO_EXIM=1 skips it on purpose.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../../src/explain.js';
import { startScenario, type RunningScenario } from '../../src/index.js';
import { catalogueNames, loadScenarioWithFile } from '../../src/scenario/load.js';
import { body, CHARTED, chartCell, chartFile, chartText, checkServerSide, recipient, spendSessions, STARTTLS_REFUSED, type ChartCell, type ServerSide } from '../mta/chart.js';
import { commands, eventsOf, fetchMta, leftovers, logged, missingTools, mtaCommand, notLogged, recipeRow, REPO, runMatrix, runRecipe, STOCK_CONFIG, unpacked, workDir } from '../mta/support.js';
import { catalogueClaims, checkClaim, CLAIM_IDLE_TIMEOUT_MS, claimTimeoutMs, claimTitle, type AttemptRunner } from '../support/claims.js';
import { debianSmarthostConfig, EXIM_SERVER_HOST, EximInstance, eximKeyLine, SHORT_TIMEOUTS, type EximAttempt, type EximOptions } from './support.js';

const skipOnPurpose = process.env.BROKEN_MTA_NO_EXIM === '1';
const catalogue = catalogueNames().map((name) => loadScenarioWithFile(name).scenario);

let mta: RunningScenario | undefined;
let exim: EximInstance | undefined;
let baseDir: string | undefined;
/** Debian's smarthost configuration, made once by update-exim4.conf. */
let base = '';

async function sendTo(scenario: string, options: EximOptions = {}): Promise<EximAttempt> {
  mta = await startScenario(scenario, { host: EXIM_SERVER_HOST });
  exim = EximInstance.create(mta, base, options);
  return exim.send();
}

async function fresh(): Promise<void> {
  exim?.remove();
  await mta?.close();
  exim = undefined;
  mta = undefined;
}

/** tls_tempfail_tryclear at work: the failed TLS session, then the same message on a new connection, in clear. */
const UNENCRYPTED = / TLS session: .*: delivering unencrypted to H=mx\.broken-mta\.test \[127\.0\.0\.2\] \(not in hosts_require_tls\)$/;
const DELIVERED_IN_CLEAR = / => rcpt@mx\.broken-mta\.test R=smarthost T=remote_smtp_smarthost H=mx\.broken-mta\.test \[127\.0\.0\.2\] C="250 Message accepted"$/;

/** The server's side of each charted scenario, where there is more to it than the outcome. */
const noAlertThenClear: ServerSide = { events: [{ type: 'tls-failed', error: 'read ECONNRESET' }], sessions: 2 };
const SERVER: Record<string, ServerSide> = {
  good: { events: [{ type: 'tls-established', protocol: 'TLSv1.3' }], sessions: 1 },
  // Verification fails after a complete handshake: Exim quits, then comes back in clear.
  'expired-cert': { events: [{ type: 'tls-established', session: 1 }], sessions: 2 },
  'wrong-host': { events: [{ type: 'tls-established', session: 1 }], sessions: 2 },
  'tls10-only': { events: [{ type: 'tls-established', protocol: 'TLSv1' }], sessions: 1 },
  'no-secure-renegotiation': { events: [{ type: 'tls-established', protocol: 'TLSv1.2' }], sessions: 1 },
  'dh-composite': { events: [{ type: 'tls-established', keyExchange: { kind: 'DHE', group: 'composite', bits: 2048 } }] },
  // GnuTLS refuses the group, the version or the signature without a word: no alert, a reset.
  'weak-dh': noAlertThenClear,
  dh480: noAlertThenClear,
  'ssl3-only': noAlertThenClear,
  'bad-ske-signature': noAlertThenClear,
  'abort-alert': { events: [{ type: 'tls-failed', serverAlert: { code: 40, name: 'handshake_failure' } }], sessions: 2 },
  'handshake-abort': { events: [{ type: 'fault', fault: 'abort-close', step: 'TLS' }], sessions: 2 },
  'groupwise-450': { events: [{ type: 'fault', fault: 'reply', step: 'STARTTLS' }], sessions: 1 },
  tarpit: { events: [{ type: 'fault', fault: 'delay', step: 'END-OF-DATA' }, { type: 'command', step: 'QUIT' }] },
  greylist: { events: [{ type: 'fault', fault: 'reply', step: 'RCPT' }] },
  'rate-limit-421': { events: [{ type: 'fault', fault: 'reply', step: 'CONNECT', session: 3 }] },
  'data-timeout': { events: [{ type: 'message' }] },
};

// Outside the describe, so that a machine without what Exim needs counts one failed test, saying why.
it.skipIf(skipOnPurpose)('Exim can be unpacked and run here (BROKEN_MTA_NO_EXIM=1 skips the suite)', () => {
  expect(missingTools('exim')).toBeUndefined();
});

describe.skipIf(skipOnPurpose)('real Exim against scenarios', () => {
  beforeAll(async () => {
    const missing = missingTools('exim');
    if (missing) throw new Error(missing);
    await fetchMta('exim');
    baseDir = workDir('exim-base');
    base = await debianSmarthostConfig(baseDir);
  }, 300_000);

  afterAll(() => {
    if (baseDir) rmSync(baseDir, { recursive: true, force: true });
  });

  afterEach(fresh);

  // The chart (test/mta/chart.ts): every scenario of interest, one delivery attempt each,
  // with Debian's smarthost configuration; Exim's key line and the outcome are compared
  // with test/mta/chart/exim.json at the end, the server's side here.
  const chart = new Map<string, ChartCell>();
  const logs = new Map<string, string[]>();
  it.each(CHARTED.map((charted) => [charted.scenario, charted] as const))('chart: %s', async (_name, charted) => {
    mta = await startScenario(charted.scenario, { host: EXIM_SERVER_HOST, ...(charted.limits ? { limits: charted.limits } : {}) });
    exim = EximInstance.create(mta, base, { transport: charted.shortTimeouts ? SHORT_TIMEOUTS : [] });
    if (charted.sessionsBefore) await spendSessions(mta, charted.sessionsBefore);
    const result = await exim.send({ to: recipient(charted), body: charted.bodyBytes ? body(charted.bodyBytes) : undefined });
    chart.set(charted.scenario, chartCell('exim', charted.scenario, result.outcome, eximKeyLine(result)));
    logs.set(charted.scenario, result.log);
    checkServerSide(result, charted, SERVER[charted.scenario]);
    if (STARTTLS_REFUSED.includes(charted.scenario)) notLogged(result, /TLS| 45[04] | 502 /);
    // A fallback to clear is always a second connection, and the message goes by it.
    if (result.log.some((line) => UNENCRYPTED.test(line))) {
      expect(result.messages).toMatchObject([{ session: result.sessionsSeen, secure: false }]);
    }
    expect(result.queued).toEqual(result.outcome === 'deferred' ? [result.id] : result.outcome === 'bounced' ? [expect.any(String)] : []);
  });

  it('the chart matches test/mta/chart/exim.json (`npx vitest run test/exim --update` rewrites it)', async () => {
    expect([...chart.keys()]).toEqual(CHARTED.map(({ scenario }) => scenario));
    await expect(chartText(chart)).toMatchFileSnapshot(chartFile('exim'));
  });

  // explain's index is the catalogue's claims: a line Exim really wrote leads back.
  it.each([
    ['client-cert-required', /TLS error on connection/],
    ['bad-ske-signature', /TLS session: /],
    ['handshake-abort', /TLS session: /],
    ['data-timeout', /SMTP timeout after end of data/],
  ])('explain: the line Exim logged for %s leads to it', (scenario, pattern) => {
    const line = logs.get(scenario)!.find((text) => pattern.test(text))!;
    const { matches } = explain(line, catalogue);
    expect(matches[0]?.scenario, line).toBe(scenario);
  });

  it('good: X=TLS1.3 ... CV=yes, delivered by remote_smtp_smarthost', async () => {
    const result = await sendTo('good');
    logged(result, / => rcpt@mx\.broken-mta\.test R=smarthost T=remote_smtp_smarthost H=mx\.broken-mta\.test \[127\.0\.0\.2\] X=TLS1\.3:\S+:256 CV=yes DN="CN=mx\.broken-mta\.test" C="250 Message accepted"$/);
    expect(result.messages).toMatchObject([{ from: 'sender@client.example.test', to: ['rcpt@mx.broken-mta.test'], secure: true }]);
  });

  it('client-cert-required: TLS error on connection (recv): ... Certificate is required, then in clear', async () => {
    const result = await sendTo('client-cert-required');
    logged(result, / H=mx\.broken-mta\.test \[127\.0\.0\.2\] TLS error on connection \(recv\): A TLS fatal alert has been received: Certificate is required$/);
    logged(result, / TLS session: error on first read: delivering unencrypted to H=mx\.broken-mta\.test \[127\.0\.0\.2\] \(not in hosts_require_tls\)$/);
    logged(result, DELIVERED_IN_CLEAR);
    expect(result.sessionsSeen).toBe(2);
  });

  describe('where the smarthost is', () => {
    it('dc_smarthost as an address: the certificate names mx.broken-mta.test, so even good fails verification and goes in clear', async () => {
      const result = await sendTo('good', { smarthost: EXIM_SERVER_HOST });
      logged(result, / TLS session: \(certificate verification failed\): delivering unencrypted to H=127\.0\.0\.2 \[127\.0\.0\.2\] \(not in hosts_require_tls\)$/);
      expect(result.outcome).toBe('delivered in plaintext');
    });

    it('127.0.0.1, whatever the port, is Exim itself: remote host address is the local host, and the message is frozen', async () => {
      mta = await startScenario('good');
      exim = EximInstance.create(mta, base, { smarthost: '127.0.0.1' });
      const result = await exim.send();
      logged(result, / remote host address is the local host: mx\.broken-mta\.test$/);
      logged(result, / == rcpt@mx\.broken-mta\.test R=smarthost defer \(-1\): remote host address is the local host$/);
      logged(result, / Frozen$/);
      expect(result.sessionsSeen).toBe(0);
    });

    it("an option set twice is an error, so the recipe comments out the admin's own", async () => {
      mta = await startScenario('good', { host: EXIM_SERVER_HOST });
      exim = EximInstance.create(mta, base, { macros: ['queue_only = false'] });
      const checked = await mtaCommand('exim', ['exim4', '-C', exim.conf, '-bV']);
      expect(checked.code).not.toBe(0);
      expect(checked.output).toMatch(/"queue_only" option set for the second time/);
    });
  });

  describe('weak-dh: the fix, measured', () => {
    it('stock: the Diffie-Hellman prime ... not long enough, and tls_tempfail_tryclear delivers in clear at once', async () => {
      const result = await sendTo('weak-dh');
      logged(result, / TLS session: \(gnutls_handshake\): The Diffie-Hellman prime sent by the server is not acceptable \(not long enough\)\.: delivering unencrypted to H=mx\.broken-mta\.test \[127\.0\.0\.2\] \(not in hosts_require_tls\)$/);
      logged(result, DELIVERED_IN_CLEAR);
      expect(result.outcome).toBe('delivered in plaintext');
      expect(result.sessionsSeen).toBe(2);
    });

    it('TLS_DH_MIN_BITS = 512: delivered over TLS with the 512-bit group (X=TLS1.2:DHE_CUSTOM512...)', async () => {
      const result = await sendTo('weak-dh', { macros: ['TLS_DH_MIN_BITS = 512'] });
      logged(result, / X=TLS1\.2:DHE_CUSTOM512__RSA_SHA256__AES_128_GCM:128 CV=yes /);
      expect(result.outcome).toBe('delivered over TLS');
      expect(eventsOf(result, 'tls-established')).toMatchObject([{ keyExchange: { kind: 'DHE', bits: 512 } }]);
    });

    it('REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS = 127.0.0.2: no STARTTLS at all, one connection, in clear', async () => {
      const result = await sendTo('weak-dh', { macros: ['REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS = 127.0.0.2'] });
      notLogged(result, /TLS/);
      logged(result, DELIVERED_IN_CLEAR);
      expect(commands(result)).not.toContain('STARTTLS');
      expect(result.sessionsSeen).toBe(1);
    });

    it('REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *: defer (-37) with the same GnuTLS words, nothing delivered', async () => {
      const result = await sendTo('weak-dh', { macros: ['REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *'] });
      logged(result, / == rcpt@mx\.broken-mta\.test R=smarthost T=remote_smtp_smarthost defer \(-37\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: TLS session: \(gnutls_handshake\): The Diffie-Hellman prime sent by the server is not acceptable \(not long enough\)\.$/);
      expect(result.outcome).toBe('deferred');
      expect(result.messages).toHaveLength(0);
    });
  });

  describe('expired-cert: the fix, measured', () => {
    it("stock: Debian's smarthost transport verifies (tls_verify_hosts = *), fails, and delivers in clear instead", async () => {
      const result = await sendTo('expired-cert');
      logged(result, / TLS session: \(certificate verification failed\): certificate invalid: delivering unencrypted to H=mx\.broken-mta\.test \[127\.0\.0\.2\] \(not in hosts_require_tls\)$/);
      logged(result, DELIVERED_IN_CLEAR);
      expect(result.outcome).toBe('delivered in plaintext');
      // The expired certificate was good enough for a complete handshake; plaintext was not asked for.
      expect(eventsOf(result, 'tls-established')).toMatchObject([{ session: 1 }]);
      expect(result.messages).toMatchObject([{ session: 2, secure: false }]);
    });

    it('tls_tempfail_tryclear = false in the transport: defer (-37) ... certificate invalid, nothing delivered', async () => {
      const result = await sendTo('expired-cert', { transport: ['tls_tempfail_tryclear = false'] });
      logged(result, / == rcpt@mx\.broken-mta\.test R=smarthost T=remote_smtp_smarthost defer \(-37\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: TLS session: \(certificate verification failed\): certificate invalid$/);
      expect(result.messages).toHaveLength(0);
      expect(result.sessionsSeen).toBe(1);
    });

    it('REMOTE_SMTP_SMARTHOST_TLS_VERIFY_HOSTS empty: delivered over TLS with CV=no, as Postfix and sendmail do', async () => {
      const result = await sendTo('expired-cert', { macros: ['REMOTE_SMTP_SMARTHOST_TLS_VERIFY_HOSTS ='] });
      logged(result, / X=TLS1\.3:\S+ CV=no DN="CN=mx\.broken-mta\.test" C="250 Message accepted"$/);
      expect(result.outcome).toBe('delivered over TLS');
    });
  });

  describe('handshake-abort: the fix, measured', () => {
    it('stock: The TLS connection was non-properly terminated, then in clear on a second connection', async () => {
      const result = await sendTo('handshake-abort');
      logged(result, / TLS session: \(gnutls_handshake\): The TLS connection was non-properly terminated\.: delivering unencrypted to H=mx\.broken-mta\.test \[127\.0\.0\.2\] \(not in hosts_require_tls\)$/);
      logged(result, DELIVERED_IN_CLEAR);
      expect(result.sessionsSeen).toBe(2);
    });

    it('tls_tempfail_tryclear = false: deferred; the queued message goes out once hosts_avoid_tls names the peer (exim -M)', async () => {
      const first = await sendTo('handshake-abort', { transport: ['tls_tempfail_tryclear = false'] });
      logged(first, / == rcpt@mx\.broken-mta\.test R=smarthost T=remote_smtp_smarthost defer \(-37\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: TLS session: \(gnutls_handshake\): The TLS connection was non-properly terminated\.$/);
      expect(first.queued).toEqual([first.id]);
      exim!.configure({ transport: ['tls_tempfail_tryclear = false'], macros: ['REMOTE_SMTP_SMARTHOST_HOSTS_AVOID_TLS = 127.0.0.2'] });
      const retry = await exim!.deliver();
      logged(retry, DELIVERED_IN_CLEAR);
      expect(retry.queued).toEqual([]);
      expect(retry.messages).toMatchObject([{ session: 2, secure: false }]);
    });
  });

  describe('groupwise-450: the fix, measured', () => {
    it('stock: the 450 to STARTTLS is not logged at all; delivered in clear on the same connection', async () => {
      const result = await sendTo('groupwise-450');
      notLogged(result, /TLS| 450 /);
      logged(result, DELIVERED_IN_CLEAR);
      expect(result.sessionsSeen).toBe(1);
    });

    it('REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *: a TLS session is required, but an attempt to start TLS failed; deferred', async () => {
      const result = await sendTo('groupwise-450', { macros: ['REMOTE_SMTP_SMARTHOST_HOSTS_REQUIRE_TLS = *'] });
      logged(result, / H=mx\.broken-mta\.test \[127\.0\.0\.2\]: a TLS session is required, but an attempt to start TLS failed$/);
      logged(result, / == rcpt@mx\.broken-mta\.test R=smarthost T=remote_smtp_smarthost defer \(-38\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: a TLS session is required, but an attempt to start TLS failed$/);
      expect(result.messages).toHaveLength(0);
    });
  });

  describe('examples/exim/run.sh', () => {
    const UNENCRYPTED_ROW = (reason: string) => new RegExp(`TLS session: \\(gnutls_handshake\\): ${reason}: delivering unencrypted to H=mx\\.broken-mta\\.test \\[127\\.0\\.0\\.2\\] \\(not in hosts_require_tls\\)`);

    it("on Debian's stock configuration (config.autogenerated, local delivery only) prints the table; nothing is left behind", async () => {
      const result = await runRecipe('exim', [STOCK_CONFIG.exim, 'good', 'expired-cert', 'handshake-abort', 'weak-dh', 'groupwise-450', 'greylist']);
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toMatch(/^scenario +outcome +what Exim logged$/m);
      expect(result.stdout).toMatch(recipeRow('good', 'delivered over TLS', /=> X=TLS1\.3:\S+ CV=yes C="250 Message accepted"/));
      expect(result.stdout).toMatch(recipeRow('expired-cert', 'delivered in plaintext', /TLS session: \(certificate verification failed\): certificate invalid: delivering unencrypted to .*/));
      expect(result.stdout).toMatch(recipeRow('handshake-abort', 'delivered in plaintext', UNENCRYPTED_ROW('The TLS connection was non-properly terminated\\.')));
      expect(result.stdout).toMatch(recipeRow('weak-dh', 'delivered in plaintext', UNENCRYPTED_ROW('The Diffie-Hellman prime sent by the server is not acceptable \\(not long enough\\)\\.')));
      expect(result.stdout).toMatch(recipeRow('groupwise-450', 'delivered in plaintext', /=> C="250 Message accepted"/));
      expect(result.stdout).toMatch(recipeRow('greylist', 'deferred', /defer \(-44\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: SMTP error from remote mail server after RCPT TO:<rcpt@greylist\.broken-mta\.test>: 450 4\.2\.0 Greylisted, please try again later/));
      expect(leftovers('exim')).toEqual([]);
    });

    it("Debian's split form (a copy of /etc/exim4) with MACROS and OPTIONS files: the fixes change the rows", async () => {
      const dir = workDir('exim-fixes');
      try {
        writeFileSync(join(dir, 'macros'), 'TLS_DH_MIN_BITS = 512\n');
        writeFileSync(join(dir, 'options'), 'tls_tempfail_tryclear = false\n');
        const folder = unpacked('exim', 'etc', 'exim4');
        const dh = await runRecipe('exim', [folder, 'weak-dh'], { MACROS: join(dir, 'macros') });
        expect(dh.code, dh.output).toBe(0);
        expect(dh.stdout).toMatch(recipeRow('weak-dh', 'delivered over TLS', /=> X=TLS1\.2:DHE_CUSTOM512__RSA_SHA256__AES_128_GCM:128 CV=yes C="250 Message accepted"/));
        const strict = await runRecipe('exim', [folder, 'weak-dh', 'expired-cert'], { OPTIONS: join(dir, 'options') });
        expect(strict.code, strict.output).toBe(0);
        expect(strict.stdout).toMatch(recipeRow('weak-dh', 'deferred', /defer \(-37\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: TLS session: \(gnutls_handshake\): The Diffie-Hellman prime .*/));
        expect(strict.stdout).toMatch(recipeRow('expired-cert', 'deferred', /defer \(-37\) H=mx\.broken-mta\.test \[127\.0\.0\.2\]: TLS session: \(certificate verification failed\): certificate invalid/));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('--to HOST:PORT: `matrix --client exim`, its scenarios on 127.0.0.2, holds the admin\'s Exim to the pages\' exim claims; a fix fails the changed rows', async () => {
      const folder = unpacked('exim', 'etc', 'exim4');
      const command = ['--', join(REPO, 'examples', 'exim', 'run.sh'), '--to', '{host}:{port}', folder];
      const held = await runMatrix(['--host', EXIM_SERVER_HOST, 'matrix', '--client', 'exim', '--scenarios', 'good,weak-dh,expired-cert,greylist', ...command]);
      expect(held.code, held.output).toBe(0);
      expect(held.stdout).toContain('4 passed, 0 failed');
      const dir = workDir('exim-matrix');
      try {
        writeFileSync(join(dir, 'options'), 'tls_tempfail_tryclear = false\n');
        const changed = await runMatrix(['--host', EXIM_SERVER_HOST, 'matrix', '--client', 'exim', '--scenarios', 'weak-dh,expired-cert', ...command], { OPTIONS: join(dir, 'options') });
        expect(changed.code).toBe(1);
        expect(changed.stdout).toMatch(/^weak-dh .*FAIL: .*delivered, got not delivered/m);
        expect(changed.stdout).toContain('0 passed, 2 failed');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('bad input: no configuration, exit 2', async () => {
      const result = await runRecipe('exim', ['/nonexistent/exim4.conf']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('cannot read /nonexistent/exim4.conf\n');
    });
  });

  // Every exim claim of the scenario pages, as `broken-mta show` prints it: the macros and
  // transport options its `with` names, on Debian's smarthost configuration, the mainlog
  // read as the admin reads it. Each attempt is an instance of its own (Exim starts in ms).
  describe('every exim claim of the catalogue holds', () => {
    const claims = catalogueClaims('exim');
    const eximRunner = (server: RunningScenario): AttemptRunner => async (invocation) => {
      if (invocation.kind !== 'exim') throw new Error(`not an exim invocation: ${invocation.kind}`);
      const instance = EximInstance.create(server, base, { macros: invocation.macros, transport: invocation.options });
      try {
        const result = await instance.send({ to: invocation.to, ...(invocation.bodyBytes ? { body: body(invocation.bodyBytes) } : {}) });
        return { exitCode: 0, timedOut: false, output: '', log: result.log };
      } finally {
        instance.remove();
      }
    };
    it('there are some', () => expect(claims.length).toBeGreaterThan(0));
    it.each(claims.map((entry) => [claimTitle(entry), entry] as const))('claim %s', async (_title, entry) => {
      mta = await startScenario(entry.scenario, { host: EXIM_SERVER_HOST, limits: { idleTimeoutMs: CLAIM_IDLE_TIMEOUT_MS } });
      await checkClaim(mta, entry, eximRunner(mta));
    }, Math.max(...claims.map((entry) => claimTimeoutMs(entry))));
  });
});
