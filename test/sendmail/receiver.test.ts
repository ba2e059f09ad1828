// Real sendmail as the receiver of broken senders: each sender scenario runs against a
// private sendmail daemon (Debian's 8.17), and two things that nothing here fakes are
// checked: what sendmail logged to syslog, and what it queued. The two Srv_Features fixes
// of the field report are proven by a row that changes.
//
// Without sendmail the suite fails, naming the packages; BROKEN_MTA_NO_SENDMAIL=1 skips it
// on purpose. Tests run one after another: they share the private syslog.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SendOutcome } from '../../src/index.js';
import { formatSenderEvent } from '../../src/sender/report.js';
import { senderCatalogueNames } from '../../src/scenario/sender-load.js';
import { run } from '../support/clients.js';
import { missingTools, PrivateSyslog } from './support.js';
import { SendmailReceiver, type ReceiverOptions, type ReceiverRun } from './receiver.js';

const skipOnPurpose = process.env.BROKEN_MTA_NO_SENDMAIL === '1';

const ROOT = new URL('../..', import.meta.url).pathname;
const RECEIVE_SH = join(ROOT, 'examples', 'sendmail', 'receive.sh');
const CLI = join(ROOT, 'dist', 'cli.js');
/** The configuration Debian's sendmail-bin installs: the README's table is checked against it. */
const STOCK_MC = '/etc/mail/sendmail.mc';

/** The admins' script, as the README tells them to run it. */
function receiveScript(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: npm run build first (npm test does)`);
  return run('bash', [RECEIVE_SH, ...args], { timeoutMs: 90_000, env: { ...process.env, BROKEN_MTA: `node ${CLI}`, ...env } });
}

/**
 * The rows the README prints after `$ command` in the code block that starts with it, as
 * patterns (runs of spaces may differ); `...` lines are skipped.
 */
function readmeRows(command: string): RegExp[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = readme.slice(readme.indexOf(`${command}\n`) + command.length + 1);
  const lines = block.slice(0, block.indexOf('```')).trimEnd().split('\n');
  return lines
    .filter((line) => line.startsWith('sender-'))
    .map((line) => new RegExp(`^${line.split(/ {2,}/).map((cell) => cell.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(' +')}$`, 'm'));
}

let syslog: PrivateSyslog | undefined;
let receiver: SendmailReceiver | undefined;

async function receive(scenario: string, options: ReceiverOptions = {}): Promise<ReceiverRun> {
  await receiver?.stop();
  receiver = await SendmailReceiver.start(syslog!, options);
  return receiver.send(scenario);
}

function show(run: ReceiverRun): string {
  return `sendmail logged:\n${run.syslog.join('\n')}\n\nbroken-mta send printed:\n${run.sent.events.map(formatSenderEvent).join('\n')}`;
}

/** The syslog line matching `pattern`; on a mismatch the message shows the whole run. */
function logged(run: ReceiverRun, pattern: RegExp): string {
  const line = run.syslog.find((l) => pattern.test(l));
  if (!line) throw new Error(`sendmail logged nothing matching ${pattern}.\n${show(run)}`);
  return line;
}

function printed(run: ReceiverRun, pattern: RegExp): void {
  const lines = run.sent.events.map(formatSenderEvent);
  if (!lines.some((line) => pattern.test(line))) throw new Error(`broken-mta send printed nothing matching ${pattern}.\n${show(run)}`);
}

const GREET_PAUSE = "FEATURE(`greet_pause', `1000')dnl";
const TLS_ACCEPT_FAILED = (reason: string) => new RegExp(`STARTTLS=server, error: accept failed=-1, reason=${reason}, SSL_error=1, errno=0, retry=-1, relay=localhost \\[127\\.0\\.0\\.1\\]`);

interface Row {
  scenario: string;
  /** The receiver's configuration, when not the plain one. */
  setup?: ReceiverOptions;
  /** What sendmail logs. */
  logs: RegExp[];
  /** What broken-mta send prints. */
  prints: RegExp[];
  outcome: Partial<SendOutcome>;
  /** Messages in sendmail's queue afterwards, by envelope sender. */
  queued: string[];
  /** What the scenario calls healthy. */
  asExpected: boolean;
}

const SENDER = '<sender@client.example.test>';

const ROWS: Row[] = [
  {
    scenario: 'sender-pregreet',
    setup: { mc: [GREET_PAUSE] },
    logs: [/rejecting commands from localhost \[127\.0\.0\.1\] due to pre-greeting traffic after 0 seconds/, /--- 554 mx\.receiver\.test ESMTP not accepting messages/],
    prints: [/fault pregreet at CONNECT: sent EHLO before the greeting/, /S: 554 mx\.receiver\.test ESMTP not accepting messages/],
    outcome: { delivered: false },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-pregreet',
    logs: [/<-- EHLO client\.example\.test/, /Message accepted for delivery/],
    prints: [/S: 220 mx\.receiver\.test ESMTP Sendmail/],
    outcome: { delivered: true },
    queued: [SENDER],
    asExpected: false,
  },
  {
    scenario: 'sender-pipelining-unannounced',
    logs: [/<-- DATA/],
    prints: [/fault pipeline at MAIL: sent MAIL, 1 RCPT and DATA in one write/, /S: 354 /],
    outcome: { delivered: true },
    queued: [SENDER],
    asExpected: true,
  },
  {
    scenario: 'sender-pipelining-unannounced',
    setup: { access: 'Srv_Features:127.0.0.1\tn\n' },
    logs: [/unauthorized PIPELINING, sleeping, relay=localhost \[127\.0\.0\.1\]/, /Message accepted for delivery/],
    prints: [/S: 250-mx\.receiver\.test Hello/],
    outcome: { delivered: true },
    queued: [SENDER],
    asExpected: true,
  },
  {
    scenario: 'sender-bare-lf',
    logs: [/collect: relay=localhost, from=<sender@client\.example\.test>, info=Bare linefeed \(LF\) not allowed, where=header, status=tempfail/, /--- 421 4\.5\.0 Bare linefeed \(LF\) not allowed/],
    prints: [/fault bare-lf at END-OF-DATA: every line ends in a bare LF/, /S: 421 4\.5\.0 Bare linefeed \(LF\) not allowed/],
    outcome: { delivered: false },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-smtp-smuggling',
    logs: [
      /collect: relay=localhost, from=<sender@client\.example\.test>, info=Bare linefeed \(LF\) not allowed, where=body, status=tempfail/,
      /collect: relay=localhost, from=<sender@client\.example\.test>, info=Bare carriage return \(CR\) not allowed, where=body, status=tempfail/,
    ],
    prints: [/#1 S: 421 4\.5\.0 Bare linefeed \(LF\) not allowed/, /#2 S: 421 4\.5\.0 Bare carriage return \(CR\) not allowed/],
    outcome: { delivered: false, split: false, messages: 0 },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-smtp-smuggling',
    setup: { access: 'Srv_Features:127.0.0.1\tU\n' },
    logs: [/info=Bare linefeed \(LF\) not allowed/, /Message accepted for delivery/],
    prints: [/#2 S: 250 2\.0\.0 \S+ Message accepted for delivery/, /#2 S: 221 /],
    outcome: { delivered: true, split: false, messages: 1 },
    queued: [SENDER],
    asExpected: true,
  },
  {
    scenario: 'sender-8bit-without-8bitmime',
    logs: [/from=<sender@client\.example\.test>, size=\d+, class=0, nrcpts=1, /, /stat=queued/],
    prints: [/fault eight-bit at END-OF-DATA/, /Message accepted for delivery/],
    outcome: { delivered: true },
    queued: [SENDER],
    asExpected: true,
  },
  {
    scenario: 'sender-8bit-without-8bitmime',
    setup: { mc: ["define(`confEIGHT_BIT_HANDLING', `strict')dnl"] },
    logs: [/--- 554 5\.6\.1 Eight bit data not allowed/],
    prints: [/S: 554 5\.6\.1 Eight bit data not allowed/],
    outcome: { delivered: false },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-slowloris',
    setup: { mc: ["define(`confTO_COMMAND', `1s')dnl"] },
    logs: [/<-- EHLO client\.example\.test/, /Message accepted for delivery/],
    prints: [/fault drip at EHLO: sending 26 bytes one every 150 ms/],
    outcome: { delivered: true },
    queued: [SENDER],
    asExpected: false,
  },
  {
    scenario: 'sender-disconnect-mid-data',
    logs: [/collect: premature EOM: unexpected close/, /collect: relay=localhost, from=<sender@client\.example\.test>, info=unexpected close/],
    prints: [/fault truncate at END-OF-DATA: sent 120 of \d+ bytes, then closed/],
    outcome: { delivered: false },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-too-many-recipients',
    logs: [/nrcpts=150, /],
    prints: [/fault recipient-flood at RCPT: the message goes to 150 recipients/, /message accepted by the receiver over TLS: .* to 150 recipients/],
    outcome: { delivered: true, recipientsRefused: false },
    queued: [SENDER],
    asExpected: false,
  },
  {
    scenario: 'sender-too-many-recipients',
    setup: { mc: ["define(`confMAX_RCPTS_PER_MESSAGE', `100')dnl"] },
    logs: [/--- 452 4\.5\.3 Too many recipients/, /nrcpts=100, /],
    prints: [/S: 452 4\.5\.3 Too many recipients/, /to 100 recipients/],
    outcome: { delivered: true, recipientsRefused: true },
    queued: [SENDER],
    asExpected: true,
  },
  {
    scenario: 'sender-nul-bytes',
    setup: { mc: ["define(`confREJECT_NUL', `true')dnl"] },
    logs: [/--- 554 5\.6\.1 NUL byte not allowed/],
    prints: [/fault nul-bytes at END-OF-DATA: the body holds a line with 3 NUL bytes/, /S: 554 5\.6\.1 NUL byte not allowed/],
    outcome: { delivered: false },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-nul-bytes',
    logs: [/Message accepted for delivery/],
    prints: [/message accepted by the receiver/],
    outcome: { delivered: true },
    queued: [SENDER],
    asExpected: false,
  },
  {
    scenario: 'sender-starttls-abort',
    logs: [TLS_ACCEPT_FAILED('unexpected eof while reading'), /localhost \[127\.0\.0\.1\] did not issue MAIL\/EXPN\/VRFY\/ETRN during connection to MTA-test/],
    prints: [/fault close at TLS: closed the connection instead of a ClientHello/],
    outcome: { delivered: false, tls: 'failed' },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-garbage-after-starttls',
    logs: [TLS_ACCEPT_FAILED('wrong version number')],
    prints: [/fault garbage at TLS: sent \d+ bytes of plaintext instead of a ClientHello/, /closed by the server/],
    outcome: { delivered: false, tls: 'failed' },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-alert-after-hello',
    logs: [TLS_ACCEPT_FAILED('sslv3 alert handshake failure'), /SSL alert number 40/],
    prints: [/TLS failed: client sent alert 40 \(handshake_failure\); scripted: alert after ServerHello/],
    outcome: { delivered: false, tls: 'failed' },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-ssl3-only',
    logs: [TLS_ACCEPT_FAILED('version too low')],
    prints: [/client hello: SSLv3, offers SSLv3, 4 cipher suites/, /TLS failed: server sent alert 40 \(handshake_failure\); the server refused the ClientHello/],
    outcome: { delivered: false, tls: 'failed' },
    queued: [],
    asExpected: true,
  },
  {
    scenario: 'sender-tls10-weak-ciphers',
    logs: [TLS_ACCEPT_FAILED('no shared cipher')],
    prints: [/client hello: TLSv1, offers TLSv1, 3 cipher suites/, /TLS failed: server sent alert 40 \(handshake_failure\); the server refused the ClientHello/],
    outcome: { delivered: false, tls: 'failed' },
    queued: [],
    asExpected: true,
  },
  // What the pages say of Srv_Features S for the other senders that break TLS.
  ...['sender-garbage-after-starttls', 'sender-alert-after-hello', 'sender-ssl3-only', 'sender-tls10-weak-ciphers'].map(
    (scenario): Row => ({
      scenario,
      setup: { access: 'Srv_Features:127.0.0.1\tS\n' },
      logs: [/proto=ESMTP, daemon=MTA-test/],
      prints: [/message accepted by the receiver: /],
      outcome: { delivered: true, tls: 'none', secure: false },
      queued: [SENDER],
      asExpected: true,
    }),
  ),
  {
    scenario: 'sender-breaks-on-client-cert-request',
    logs: [TLS_ACCEPT_FAILED('unexpected eof while reading')],
    prints: [/TLS failed: scripted: closed after CertificateRequest/],
    outcome: { delivered: false, tls: 'failed' },
    queued: [],
    asExpected: false,
  },
  {
    scenario: 'sender-plaintext-retry',
    logs: [TLS_ACCEPT_FAILED('no suitable signature algorithm'), /proto=ESMTP, daemon=MTA-test/],
    prints: [/#1 TLS failed: server sent alert 80 \(internal_error\)/, /#2 message accepted by the receiver: /],
    outcome: { delivered: true, tls: 'failed', secure: false },
    queued: [SENDER],
    asExpected: true,
  },
];

// Outside the describe, so that a machine without sendmail counts one failed test, saying why.
it.skipIf(skipOnPurpose)('sendmail, m4 and rsyslog are installed for the receiver suite (BROKEN_MTA_NO_SENDMAIL=1 skips it)', () => {
  expect(missingTools()).toBeUndefined();
});

describe.skipIf(skipOnPurpose)('real sendmail as the receiver of broken senders', () => {
  beforeAll(async () => {
    const missing = missingTools();
    if (missing) throw new Error(missing);
    syslog = await PrivateSyslog.start();
  });

  afterAll(async () => {
    await receiver?.stop();
    await syslog?.stop();
  });

  afterEach(async () => {
    await receiver?.stop();
    receiver = undefined;
  });

  it('every sender scenario has a row here', () => {
    expect([...new Set(ROWS.map((row) => row.scenario))].sort()).toEqual(senderCatalogueNames());
  });

  const name = (row: Row) => `${row.scenario}${row.setup ? ` with ${JSON.stringify(row.setup.access ?? row.setup.mc)}` : ''}`;
  it.each(ROWS.map((row) => [name(row), row] as const))('%s', async (_name, row) => {
    const run = await receive(row.scenario, row.setup);
    for (const pattern of row.logs) logged(run, pattern);
    for (const pattern of row.prints) printed(run, pattern);
    expect(run.sent.outcome, show(run)).toMatchObject(row.outcome);
    expect(run.queued.map((message) => message.sender), show(run)).toEqual(row.queued);
    expect(run.sent.asExpected, show(run)).toBe(row.asExpected);
  });

  it('Srv_Features:127.0.0.1 S: sendmail stops offering STARTTLS, and the sender that aborted it delivers in plaintext', async () => {
    const before = await receive('sender-starttls-abort');
    expect(before.sent.outcome).toMatchObject({ tls: 'failed', delivered: false });
    expect(before.queued).toEqual([]);

    const after = await receive('sender-starttls-abort', { access: 'Srv_Features:127.0.0.1\tS\n' });
    logged(after, /proto=ESMTP, daemon=MTA-test, relay=localhost \[127\.0\.0\.1\]/);
    expect(after.syslog.some((line) => /STARTTLS=server/.test(line)), show(after)).toBe(false);
    const ehlo = after.sent.events.find((event) => event.type === 'reply' && event.text.startsWith('mx.receiver.test Hello'));
    expect(ehlo && ehlo.type === 'reply' && ehlo.text).not.toMatch(/STARTTLS/);
    expect(after.sent.outcome).toMatchObject({ tls: 'none', delivered: true, secure: false });
    expect(after.queued.map((message) => message.sender)).toEqual([SENDER]);
    expect(after.sent.asExpected).toBe(true);
  });

  it('Srv_Features:127.0.0.1 V: sendmail asks for no client certificate, and the sender that broke on the request delivers over TLS', async () => {
    const before = await receive('sender-breaks-on-client-cert-request');
    expect(before.sent.outcome).toMatchObject({ tls: 'failed', delivered: false });
    expect(before.sent.asExpected).toBe(false);

    const after = await receive('sender-breaks-on-client-cert-request', { access: 'Srv_Features:127.0.0.1\tV\n' });
    logged(after, /STARTTLS=server, relay=localhost \[127\.0\.0\.1\], version=TLSv1\.2, verify=NOT, cipher=/);
    logged(after, /proto=ESMTPS, daemon=MTA-test/);
    expect(after.sent.outcome).toMatchObject({ tls: 'established', delivered: true, secure: true });
    expect(after.queued.map((message) => message.sender)).toEqual([SENDER]);
    expect(after.sent.asExpected).toBe(true);
  });

  it('Srv_Features:127.0.0.1 S spares sender-plaintext-retry its failed handshake: one session, in plaintext', async () => {
    const run = await receive('sender-plaintext-retry', { access: 'Srv_Features:127.0.0.1\tS\n' });
    expect(run.sent.sessions).toHaveLength(1);
    expect(run.syslog.some((line) => /STARTTLS=server/.test(line)), show(run)).toBe(false);
    expect(run.sent.outcome).toMatchObject({ tls: 'none', delivered: true, secure: false });
  });
});

describe.skipIf(skipOnPurpose)('examples/sendmail/receive.sh', () => {
  it("with the stock Debian sendmail.mc and access map prints the README's rows (reading MAIL_LOG when a syslog daemon runs)", async () => {
    const missing = missingTools();
    if (missing) throw new Error(missing);
    expect(existsSync(STOCK_MC), `${STOCK_MC} is missing: Debian's sendmail-bin writes it on install`).toBe(true);
    const rows = readmeRows('examples/sendmail/receive.sh /etc/mail/sendmail.mc');
    expect(rows.length).toBe(4);
    const suite = await PrivateSyslog.start();
    try {
      const result = await receiveScript([STOCK_MC, 'sender-breaks-on-client-cert-request', 'sender-pregreet', 'sender-smtp-smuggling', 'sender-starttls-abort'], { MAIL_LOG: suite.logFile });
      expect(result.code, result.output).toBe(0);
      expect(result.stderr).toContain('a daemon already owns /dev/log');
      for (const row of rows) expect(result.stdout).toMatch(row);
    } finally {
      await suite.stop();
    }
  });

  it('ACCESS= with Srv_Features:127.0.0.1 V: the rows change as the README shows; no daemon left behind', async () => {
    const missing = missingTools();
    if (missing) throw new Error(missing);
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-access-'));
    try {
      const access = join(dir, 'access');
      writeFileSync(access, 'Srv_Features:127.0.0.1\tV\n');
      const rows = readmeRows('ACCESS=/tmp/access examples/sendmail/receive.sh /etc/mail/sendmail.mc sender-breaks-on-client-cert-request sender-pregreet');
      expect(rows.length).toBe(2);
      const result = await receiveScript([STOCK_MC, 'sender-breaks-on-client-cert-request', 'sender-pregreet'], { ACCESS: access });
      expect(result.code, result.output).toBe(0);
      for (const row of rows) expect(result.stdout).toMatch(row);
      expect(existsSync('/dev/log')).toBe(false);
      expect((await run('pgrep', ['-x', 'rsyslogd'])).stdout).toBe('');
      expect((await run('pgrep', ['-f', 'sendmail -bD'])).stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
