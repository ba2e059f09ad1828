// The round trip over the catalogue: serve a scenario, capture it, serve the captured file,
// and run openssl s_client, gnutls-cli and swaks against both. The row (TLS outcome, the
// client's alert, openssl's verify code, delivered or not, exit code) must be the same; the
// table lists every scenario x client, and each row is its own test.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { capture } from '../../src/capture/capture.js';
import { writeCapture } from '../../src/capture/write.js';
import { startScenario } from '../../src/index.js';
import { catalogueNames } from '../../src/scenario/load.js';
import { describeRow, JUDGES, observe, pool, table, type Judge, type Row } from './support.js';

/** What capture can see: the certificate, STARTTLS, the TLS aborts and the engine's faults. */
const VISIBLE = [
  'good', 'expired-cert', 'self-signed', 'not-yet-valid', 'untrusted-root', 'unknown-ca', 'incomplete-chain', 'good-chain', 'wrong-host',
  'weak-key-1024', 'weak-key-512', 'sha1-signed', 'md5-signed', 'client-cert-required',
  'groupwise-450', 'handshake-abort', 'starttls-454', 'starttls-502', 'starttls-not-advertised', 'starttls-response-injection', 'helo-only', 'size-552',
  'abort-reset', 'abort-garbage', 'abort-alert', 'abort-silence', 'abort-midway', 'implicit-tls', 'implicit-abort-alert',
  'tls10-only', 'weak-dh', 'dh480', 'dh1024', 'dh-composite', 'dh-small-subgroup', 'ssl3-only', 'alert-after-certificate', 'bad-ske-signature', 'no-secure-renegotiation',
  'static-rsa-only', '3des-only', 'rc4-only', 'null-cipher-only', 'tls11-only', 'export-dh',
  'ecdsa-p256', 'ecdsa-p384', 'rsa-8192', 'no-subject', '1000-sans', 'reversed-chain', 'sha1-intermediate', 'expired-intermediate', 'expired-cross-root', 'long-chain',
  'must-staple-missing', 'sni-mismatch',
  'greeting-554', 'greeting-421', 'reply-line-600',
];
/** What it cannot: behaviour after MAIL (it never sends one), or spread over time and sessions. */
const INVISIBLE: Record<string, string> = {
  'tls-required': 'refuses MAIL before STARTTLS; capture never sends MAIL',
  greylist: 'acts at RCPT',
  'mailbox-full-452': 'acts at RCPT',
  'user-unknown-550': 'acts at RCPT',
  'data-timeout': 'acts after DATA',
  'rate-limit-421': "acts from a client's third session on, which the probes themselves trigger",
  tarpit: 'delays every reply; the banner delay is captured, the rest is not (and takes 10 s a client)',
  'pregreet-554': 'punishes clients that talk first; capture waits for the banner, like the polite clients',
  'auth-required-530': 'refuses MAIL before AUTH; capture never sends MAIL',
  'auth-bad-credentials-535': 'acts on credentials; capture never authenticates',
  'auth-temporary-454': 'acts on credentials; capture never authenticates',
  'auth-mechanism-too-weak-534': 'acts at AUTH; capture never authenticates',
  'auth-login-initial-response': 'acts at AUTH; capture never authenticates',
  'auth-xoauth2-error': 'acts on credentials; capture never authenticates',
  'smtputf8-missing': 'its EHLO is captured; its refusals act at MAIL and RCPT',
  '8bitmime-missing': 'its EHLO is captured; its refusal acts after DATA',
  'pipelining-sync-error': 'its EHLO is captured; it punishes pipelining, and capture waits for each reply',
  'size-lies': 'its EHLO is captured; the limit that is enforced acts after DATA',
  'chunking-bdat': 'CHUNKING is captured with the EHLO; capture never sends BDAT',
  'chunking-bdat-broken': 'acts at BDAT; capture never sends BDAT',
  'by-address': 'acts on the addresses of MAIL and RCPT; capture never sends MAIL',
  'dane-valid': 'its fault is in DNS (the domain its dns section serves); capture connects to one server',
  'dane-tlsa-mismatch': 'its fault is in DNS (a TLSA record); capture connects to one server',
  'dane-ta-name-mismatch': 'its fault is in DNS (a TLSA record) and the names it checks; capture connects to one server',
  'dane-tlsa-servfail': 'its fault is in DNS (a TLSA lookup); capture connects to one server',
  'dane-insecure': 'its fault is in DNS (an unsigned zone); capture connects to one server',
  'dane-some-mx': 'its fault is in DNS (an MX without TLSA); capture connects to one server',
  'sts-enforce-valid': 'nothing is wrong; its policy is in DNS and at a policy host, which capture does not visit',
  'sts-enforce-cert-mismatch': "wrong-host's certificate, which only the MTA-STS policy (DNS, a policy host) makes fatal; capture does not visit them",
  'sts-testing-mode': "wrong-host's certificate under a testing MTA-STS policy (DNS, a policy host); capture does not visit them",
  'sts-mx-not-in-policy': 'its fault is in the MTA-STS policy (at a policy host); capture connects to one server',
  'sts-policy-404': 'its fault is at the MTA-STS policy host; capture connects to one server',
  'sts-policy-timeout': 'its fault is at the MTA-STS policy host; capture connects to one server',
  'sts-policy-redirect': 'its fault is at the MTA-STS policy host; capture connects to one server',
  'sts-policy-bad-cert': "its fault is the MTA-STS policy host's certificate; capture connects to one server",
  'sts-id-change': 'its change is in DNS and at the MTA-STS policy host; capture connects to one server',
  revoked: 'revocation is not probed: capture fetches no CRL',
  'revoked-stapled': 'revocation is not probed: capture asks for no OCSP staple',
  '10000-sans': "its 270 KB Certificate message is over the flight reader's limit (as over OpenSSL's): captured as a flight cut short",
  'starttls-flaky': 'STARTTLS is missing from some sessions only; the probes, each a session of its own, see some of each',
  'reply-mixed-codes': 'acts at RCPT',
  'reply-code-non-numeric': 'acts at MAIL',
  'reply-code-four-digits': 'acts at MAIL',
  'reply-code-600': 'acts at MAIL',
  'reply-doubled': 'acts at MAIL',
  'reply-line-70k': 'acts at RCPT',
  'reply-missing-space': 'a banner with no space after its code is no SMTP reply to capture, which gives up ("not an SMTP server")',
  'reply-missing-hyphen': 'an EHLO reply line with no hyphen is no SMTP reply to capture, which gives up ("not an SMTP server")',
  'reply-bare-lf': 'capture reads lines, not their endings: the captured server ends them in CRLF',
  'reply-one-byte-segments': 'capture sees the trickled banner as a late one, not as one byte a segment',
  'reply-unsolicited': 'capture reads the second banner as its EHLO reply, and keeps no reply that came unasked',
  'tls-throttled': 'capture sees a handshake, not how fast its bytes came',
  'tls-reset-in-data': 'acts after DATA',
  'tls-close-notify-no-fin': 'acts after DATA',
  'tls-no-close-notify': 'acts after DATA',
  'tls-one-byte-records': 'capture sees a handshake, not the records it came in',
  'tls-stall-after-finished': 'capture sees a handshake; the stall after it holds only what capture never sends (SMTP inside TLS)',
};

/** A server's idle timeout and a probe's timeout, short: abort-silence waits for both. */
const limits = { idleTimeoutMs: 2000 };
const PROBE_TIMEOUT_MS = 1500;
/** A row that differs is run again this often (dh-small-subgroup's outcome is random). */
const RUNS = 3;

interface Result {
  judge: Judge;
  original: Row;
  captured: Row;
  runs: number;
  /** The first run's rows, when they differed. */
  first?: string;
}

const dir = mkdtempSync(join(tmpdir(), 'broken-mta-capture-'));
const started = Date.now();
let finished = 0;

async function roundTrip(name: string): Promise<Result[]> {
  const original = await startScenario(name, { limits });
  let copy: Awaited<ReturnType<typeof startScenario>> | undefined;
  try {
    const findings = await capture({ host: '127.0.0.1', port: original.port, implicit: Boolean(original.scenario.tls?.implicit), helo: 'capture.example.test', starttls: true, timeoutMs: PROBE_TIMEOUT_MS, caFile: original.caFile });
    const written = writeCapture(findings, { out: join(dir, `${name}.yaml`) });
    copy = await startScenario(written.files[written.files.length - 1]!, { limits });
    const results: Result[] = [];
    for (const judge of JUDGES) {
      let result: Result = { judge, original: await observe(judge, original), captured: await observe(judge, copy), runs: 1 };
      const first = same(result) ? undefined : `${describeRow(result.original)} / ${describeRow(result.captured)}`;
      while (result.runs < RUNS && !same(result)) result = { judge, original: await observe(judge, original), captured: await observe(judge, copy), runs: result.runs + 1 };
      if (first) result.first = first;
      results.push(result);
    }
    return results;
  } finally {
    await original.close();
    await copy?.close();
    finished = Date.now();
  }
}

const same = (result: Result) => JSON.stringify(result.original) === JSON.stringify(result.captured);

let all: Promise<Map<string, Result[]>> | undefined;
const results = () => (all ??= pool(VISIBLE, 3, roundTrip).then((lists) => new Map(VISIBLE.map((name, index) => [name, lists[index]!]))));

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (!all) return;
  const done = await all;
  const rows = [...done].flatMap(([name, list]) =>
    list.map((result) => [name, result.judge, describeRow(result.original), describeRow(result.captured), same(result) ? (result.runs > 1 ? `same at run ${result.runs} (run 1: ${result.first})` : 'same') : 'DIFFERENT']),
  );
  console.log(`\nround trip over ${done.size} scenarios in ${((finished - started) / 1000).toFixed(1)} s\n${table(['scenario', 'client', 'original', 'captured', 'result'], rows)}\n`);
});

describe('round trip: serve, capture, serve the capture; the same clients fail the same way', () => {
  it('every catalogue scenario is either round-tripped or said to be beyond capture', () => {
    expect([...VISIBLE, ...Object.keys(INVISIBLE)].sort()).toEqual(catalogueNames());
  });

  describe.each(VISIBLE)('%s', (name) => {
    it.each(JUDGES)('%s: the same row', async (judge) => {
      const result = (await results()).get(name)!.find((entry) => entry.judge === judge)!;
      expect(result.captured).toEqual(result.original);
    }, 120_000);
  });
});
