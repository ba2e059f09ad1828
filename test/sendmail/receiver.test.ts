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
import { formatSenderEvent } from '../../src/sender/report.js';
import { loadSenderScenario, senderCatalogueNames } from '../../src/scenario/sender-load.js';
import { textsOf } from '../../src/scenario/sender-claims.js';
import { sendmailConfig } from '../../src/sender/receivers.js';
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

const matches = (line: string, expected: string | RegExp) => (typeof expected === 'string' ? line.includes(expected) : expected.test(line));

/** The syslog line with `expected` in it; on a mismatch the message shows the whole run. */
function logged(run: ReceiverRun, expected: string | RegExp): string {
  const line = run.syslog.find((l) => matches(l, expected));
  if (!line) throw new Error(`sendmail logged no line with ${JSON.stringify(String(expected))}.\n${show(run)}`);
  return line;
}

function printed(run: ReceiverRun, expected: string): void {
  const lines = run.sent.events.map(formatSenderEvent);
  if (!lines.some((line) => line.includes(expected))) throw new Error(`broken-mta send printed no line with ${JSON.stringify(expected)}.\n${show(run)}`);
}

const SENDER = '<sender@client.example.test>';

/** Every claim about sendmail in the sender catalogue, with its scenario. */
const CLAIMS = senderCatalogueNames().flatMap((name) =>
  loadSenderScenario(name).scenario.symptoms.flatMap((claim, index) => (claim.receiver === 'sendmail' ? [{ name, index, claim }] : [])),
);

function label({ name, index, claim }: (typeof CLAIMS)[number]): string {
  const settings = Object.entries(claim.with ?? {}).map(([key, value]) => `${key} ${value}`);
  return `${name} #${index + 1}${settings.length ? ` (${settings.join(', ')})` : ''}`;
}

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

  it('every sender scenario has a claim about sendmail', () => {
    expect([...new Set(CLAIMS.map((entry) => entry.name))]).toEqual(senderCatalogueNames());
  });

  // Each symptom on a sender's page, run as it says: its texts are substrings of what
  // sendmail logged and of what broken-mta send printed; the outcome is the run's.
  it.each(CLAIMS.map((entry) => [label(entry), entry] as const))('%s', async (_label, { name, claim }) => {
    const run = await receive(name, sendmailConfig(claim.with));
    for (const text of textsOf(claim.logs)) logged(run, text);
    for (const text of textsOf(claim.prints)) printed(run, text);
    const { outcome } = run.sent;
    if (claim.delivered !== undefined) expect(outcome.delivered, show(run)).toBe(claim.delivered);
    if (claim.tls !== undefined) expect(outcome.tls, show(run)).toBe(claim.tls);
    if (claim.split !== undefined) expect(outcome.split, show(run)).toBe(claim.split);
    if (claim.queued !== undefined) expect(run.queued, show(run)).toHaveLength(claim.queued);
    if (claim.healthy !== undefined) expect(run.sent.asExpected, show(run)).toBe(claim.healthy);
    if (claim.queued) expect(run.queued.map((message) => message.sender)).toEqual(Array(claim.queued).fill(SENDER));
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
