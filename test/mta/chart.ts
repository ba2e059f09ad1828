// The chart: every scenario of the catalogue where an MTA's reaction is of interest, one
// delivery attempt each, for sendmail, Postfix and Exim. Each suite records what its MTA
// did (the outcome, and the key line it logged, with ports, queue ids and times taken out)
// and compares it with its file in test/mta/chart/; `npx vitest run test/<mta> --update` rewrites
// that file from a real run, and `npm run chart` turns the three files into the README's
// table (test/mta/chart.mjs). A file that no longer says what the MTA does fails its suite.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Limits, RunningScenario } from '../../src/index.js';
import { readUntil } from '../support/clients.js';
import { REPO, TO, type Attempt, type Outcome } from './support.js';

export interface Charted {
  scenario: string;
  /** The recipient, when the scenario treats some specially. */
  to?: string;
  /** Server limits that end a hang sooner than the MTA's own timeout would. */
  limits?: Partial<Limits>;
  /** Sessions to spend before the MTA's own (rate-limit-421 refuses the third). */
  sessionsBefore?: number;
  /** The scenario hangs: each MTA's timeouts are lowered to 5 s (the row says so). */
  shortTimeouts?: boolean;
  /** A body of this many bytes instead of one line. */
  bodyBytes?: number;
  /** The server keeps the message although the MTA never hears that it did (no reply to the dot). */
  serverKeepsMessage?: boolean;
}

export const CHARTED: Charted[] = [
  { scenario: 'good' },
  { scenario: 'expired-cert' },
  { scenario: 'self-signed' },
  { scenario: 'not-yet-valid' },
  { scenario: 'untrusted-root' },
  { scenario: 'unknown-ca' },
  { scenario: 'incomplete-chain' },
  { scenario: 'good-chain' },
  { scenario: 'wrong-host' },
  { scenario: 'weak-key-1024' },
  { scenario: 'weak-key-512' },
  { scenario: 'sha1-signed' },
  { scenario: 'md5-signed' },
  { scenario: 'client-cert-required' },
  { scenario: 'groupwise-450' },
  { scenario: 'handshake-abort' },
  { scenario: 'starttls-454' },
  { scenario: 'starttls-502' },
  { scenario: 'starttls-not-advertised' },
  { scenario: 'tls-required' },
  { scenario: 'abort-reset' },
  { scenario: 'abort-garbage' },
  { scenario: 'abort-alert' },
  // The MTA's own timeout (5 s here) ends the wait; the server gives up a second later.
  { scenario: 'abort-silence', shortTimeouts: true, limits: { idleTimeoutMs: 6000 } },
  { scenario: 'abort-midway' },
  { scenario: 'starttls-response-injection' },
  { scenario: 'tls10-only' },
  // Nothing answers in plaintext: the MTA waits for a banner that never comes, until the
  // server's handshake timeout (2 s here) closes the connection.
  { scenario: 'implicit-tls', limits: { tlsHandshakeTimeoutMs: 2000 } },
  { scenario: 'greylist' },
  { scenario: 'tarpit' },
  { scenario: 'rate-limit-421', sessionsBefore: 2 },
  { scenario: 'mailbox-full-452' },
  { scenario: 'user-unknown-550', to: 'unknown@mx.broken-mta.test' },
  { scenario: 'helo-only' },
  { scenario: 'pregreet-554' },
  { scenario: 'size-552', bodyBytes: 20_000 },
  { scenario: 'data-timeout', shortTimeouts: true, serverKeepsMessage: true, limits: { idleTimeoutMs: 6000 } },
  { scenario: 'weak-dh' },
  { scenario: 'dh480' },
  { scenario: 'dh1024' },
  { scenario: 'dh-composite' },
  { scenario: 'ssl3-only' },
  { scenario: 'alert-after-certificate' },
  { scenario: 'bad-ske-signature' },
  { scenario: 'no-secure-renegotiation' },
];

/** Scenarios that refuse STARTTLS with a reply: the MTA goes on in plaintext, and says nothing. */
export const STARTTLS_REFUSED = ['groupwise-450', 'starttls-454', 'starttls-502'];

export function recipient(charted: Charted): string {
  return charted.to ?? TO;
}

/** Spends `count` sessions on the server the way a polite client does: banner, QUIT. */
export async function spendSessions(mta: RunningScenario, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = connect({ host: mta.host, port: mta.port });
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    await readUntil(socket, /^220 /m);
    socket.write('QUIT\r\n');
    await readUntil(socket, /^221 /m).catch(() => undefined);
    socket.destroy();
  }
}

/** A body of `bytes` bytes in lines of 76 characters. */
export function body(bytes: number): string {
  const line = 'x'.repeat(76);
  return Array.from({ length: Math.ceil(bytes / 78) }, () => line).join('\n');
}

/** What the server must have seen of an attempt, beyond the outcome. */
export interface ServerSide {
  /** Events it recorded (each matched as a subset). */
  events?: Array<Record<string, unknown>>;
  /** Sessions the MTA opened (not counting `sessionsBefore`). */
  sessions?: number;
}

/** The server's side of a charted attempt: the events expected, and a message only when delivered. */
export function checkServerSide(attempt: Attempt, charted: Charted, expected: ServerSide = {}): void {
  for (const event of expected.events ?? []) expect(attempt.events).toContainEqual(expect.objectContaining(event));
  if (expected.sessions !== undefined) expect(attempt.sessionsSeen - (charted.sessionsBefore ?? 0)).toBe(expected.sessions);
  const kept = attempt.outcome.startsWith('delivered') || charted.serverKeepsMessage ? 1 : 0;
  expect(attempt.messages).toHaveLength(kept);
}

export interface ChartCell {
  outcome: Outcome;
  /** The key line the MTA logged, with ports, queue ids, pids and times taken out. */
  line: string;
}

export type ChartMta = 'sendmail' | 'postfix' | 'exim';

/** Rows whose words depend on timing, with every form seen; the chart shows the first. */
const TIMING_DEPENDENT: Partial<Record<`${ChartMta}:${string}`, string[]>> = {
  // Whether the reset reaches Exim before or after it reads: GnuTLS sees ECONNRESET, or an end of file.
  'exim:abort-reset': [
    'TLS session: (gnutls_handshake): Error in the pull function.: delivering unencrypted to H=mx.broken-mta.test [127.0.0.2] (not in hosts_require_tls)',
    'TLS session: (gnutls_handshake): The TLS connection was non-properly terminated.: delivering unencrypted to H=mx.broken-mta.test [127.0.0.2] (not in hosts_require_tls)',
  ],
};

/** A suite's row for the chart; a line that depends on timing must be one of the forms seen. */
export function chartCell(mta: ChartMta, scenario: string, outcome: Outcome, line: string): ChartCell {
  const forms = TIMING_DEPENDENT[`${mta}:${scenario}`];
  if (!forms) return { outcome, line };
  expect(forms).toContain(line);
  return { outcome, line: forms[0]! };
}

export function chartFile(mta: ChartMta): string {
  return join(REPO, 'test', 'mta', 'chart', `${mta}.json`);
}

export function readChart(mta: ChartMta): Record<string, ChartCell> {
  return JSON.parse(readFileSync(chartFile(mta), 'utf8')) as Record<string, ChartCell>;
}

/** The rows a suite recorded, in the chart's order, as its file holds them. */
export function chartText(cells: Map<string, ChartCell>): string {
  const ordered = Object.fromEntries(CHARTED.filter(({ scenario }) => cells.has(scenario)).map(({ scenario }) => [scenario, cells.get(scenario)]));
  return JSON.stringify(ordered, null, 2) + '\n';
}
