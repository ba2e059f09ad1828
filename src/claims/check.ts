// What one client run showed (its exit, its output, its MTA's log, broken-mta's events for
// the run), how that reads as a sentence, and what of a claim it contradicts. The test
// suite and `broken-mta matrix` judge with the same function.
import type { Party, SessionEvent } from '../events.js';
import { formatEvent } from '../format.js';
import type { TlsAlert } from '../tls/alerts.js';
import { alert as alertOf, alertNumber } from '../tls/alerts.js';
import type { Expectation } from './claim.js';

/** A claim's `prints`, `logs` or `server`: one text or several, as a list. */
export function textsOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : [value].flat();
}

export interface Observation {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  /** The lines the client MTA logged during the run (sendmail's syslog), when it has a log. */
  log?: string[];
  /** broken-mta's events for the sessions of this run. */
  events: SessionEvent[];
}

export type TlsOutcome =
  | { state: 'established'; protocol: string; cipher: string }
  | { state: 'failed'; clientAlert?: TlsAlert; serverAlert?: TlsAlert; error: string }
  | { state: 'begun' }
  | { state: 'none' };

/** What the server saw of a run, from its events alone. */
export interface ServerOutcome {
  tls: TlsOutcome;
  delivered: 'over TLS' | 'in plaintext' | false;
  /** Who closed the last session, and whether the client said QUIT first. */
  closedBy?: Party;
  quit: boolean;
}

export function serverOutcome(events: readonly SessionEvent[]): ServerOutcome {
  let tls: TlsOutcome = { state: 'none' };
  for (const event of events) {
    if ((event.type === 'starttls' || event.type === 'tls-hello') && tls.state === 'none') tls = { state: 'begun' };
    // A session that established TLS outweighs one that failed (a retry, a fallback).
    if (event.type === 'tls-established') tls = { state: 'established', protocol: event.protocol, cipher: event.cipher };
    if (event.type === 'tls-failed' && (tls.state === 'none' || tls.state === 'begun')) {
      tls = { state: 'failed', error: event.error, ...(event.clientAlert ? { clientAlert: event.clientAlert } : {}), ...(event.serverAlert ? { serverAlert: event.serverAlert } : {}) };
    }
  }
  const message = events.find((event) => event.type === 'message');
  const close = [...events].reverse().find((event) => event.type === 'close');
  return {
    tls,
    delivered: message?.type === 'message' ? (message.secure ? 'over TLS' : 'in plaintext') : false,
    ...(close?.type === 'close' ? { closedBy: close.by } : {}),
    quit: events.some((event) => event.type === 'command' && event.step === 'QUIT'),
  };
}

const named = (alert: TlsAlert) => `${alert.code} (${alert.name})`;

export function describeTls(tls: TlsOutcome): string {
  if (tls.state === 'established') return `TLS established (${tls.protocol}, ${tls.cipher})`;
  if (tls.state === 'none') return 'TLS not attempted';
  if (tls.state === 'begun') return 'TLS begun, not finished';
  const alerts = [tls.clientAlert && `client sent alert ${named(tls.clientAlert)}`, tls.serverAlert && `server sent alert ${named(tls.serverAlert)}`].filter(Boolean);
  return `TLS failed (${alerts.join(', ') || 'no alert'})`;
}

/** One line: TLS, delivery, how the session ended, the client's exit. */
export function describeObservation(observation: Observation): string {
  const outcome = serverOutcome(observation.events);
  const parts = [describeTls(outcome.tls), outcome.delivered ? `delivered ${outcome.delivered}` : 'not delivered'];
  if (observation.events.length === 0) parts.push('no connection');
  else if (outcome.quit) parts.push('ended with QUIT');
  else if (outcome.closedBy) parts.push(`${outcome.closedBy} closed`);
  else parts.push('session still open');
  parts.push(observation.timedOut ? 'client timed out (killed)' : `exit ${observation.exitCode}`);
  return parts.join('; ');
}

/** A quoted text on one line: a newline in it reads as \n. */
const quote = (text: string) => `"${text.replaceAll('\n', '\\n')}"`;

export function describeExpectation(expectation: Expectation): string {
  const parts: string[] = [];
  for (const text of textsOf(expectation.prints)) parts.push(`prints ${quote(text)}`);
  for (const text of textsOf(expectation.logs)) parts.push(`logs ${quote(text)}`);
  if (expectation.exit !== undefined) parts.push(`exit ${expectation.exit}`);
  if (expectation.tls !== undefined) parts.push(`TLS ${expectation.tls}`);
  if (expectation.alert !== undefined) parts.push(`client alert ${named(alertOf(alertNumber(expectation.alert)))}`);
  if (expectation.serverAlert !== undefined) parts.push(`server alert ${named(alertOf(alertNumber(expectation.serverAlert)))}`);
  if (expectation.delivered !== undefined) parts.push(expectation.delivered ? 'delivered' : 'not delivered');
  for (const text of textsOf(expectation.server)) parts.push(`broken-mta logs ${quote(text)}`);
  return parts.join(', ');
}

/** broken-mta's own text log of the run, as `broken-mta --scenario` prints it. */
export function serverLines(events: readonly SessionEvent[]): string[] {
  return events.map((event) => formatEvent(event));
}

function exitMatches(expected: NonNullable<Expectation['exit']>, observation: Observation): boolean {
  if (observation.timedOut || observation.exitCode === null) return false;
  if (expected === 'zero') return observation.exitCode === 0;
  if (expected === 'nonzero') return observation.exitCode !== 0;
  return observation.exitCode === expected;
}

/** What of the expectation the run contradicts; empty when all of it holds. */
export function mismatches(expectation: Expectation, observation: Observation): string[] {
  const found: string[] = [];
  const outcome = serverOutcome(observation.events);
  if (expectation.exit !== undefined && !exitMatches(expectation.exit, observation)) {
    found.push(`exit ${expectation.exit}, got ${observation.timedOut ? 'killed after the time limit' : observation.exitCode}`);
  }
  for (const text of textsOf(expectation.prints)) if (!observation.output.includes(text)) found.push(`prints ${quote(text)}: not in its output`);
  for (const text of textsOf(expectation.logs)) {
    if (!(observation.log ?? []).some((line) => line.includes(text))) found.push(`logs ${quote(text)}: in no line of its log`);
  }
  const lines = serverLines(observation.events);
  for (const text of textsOf(expectation.server)) if (!lines.some((line) => line.includes(text))) found.push(`broken-mta logs ${quote(text)}: in no line of its log`);
  if (expectation.delivered !== undefined && expectation.delivered !== Boolean(outcome.delivered)) {
    found.push(expectation.delivered ? 'delivered, got not delivered' : `not delivered, got delivered ${outcome.delivered}`);
  }
  if (expectation.tls !== undefined && expectation.tls !== outcome.tls.state) found.push(`TLS ${expectation.tls}, got ${describeTls(outcome.tls)}`);
  const failed = outcome.tls.state === 'failed' ? outcome.tls : undefined;
  if (expectation.alert !== undefined && alertNumber(expectation.alert) !== failed?.clientAlert?.code) {
    found.push(`client alert ${named(alertOf(alertNumber(expectation.alert)))}, got ${failed?.clientAlert ? named(failed.clientAlert) : 'none'}`);
  }
  if (expectation.serverAlert !== undefined && alertNumber(expectation.serverAlert) !== failed?.serverAlert?.code) {
    found.push(`server alert ${named(alertOf(alertNumber(expectation.serverAlert)))}, got ${failed?.serverAlert ? named(failed.serverAlert) : 'none'}`);
  }
  return found;
}
