// What a whole run came to, from the receiver's side of things: delivered or not, over
// TLS or not, split or not. The scenario's `expect` is written in these terms; `broken-mta
// send` exits 0 when the outcome matches one of its entries.
import type { SenderOutcomeExpectation } from '../scenario/sender-schema.js';
import type { SessionSummary } from './machine.js';

export interface SendOutcome {
  delivered: boolean;
  messages: number;
  tls: 'established' | 'failed' | 'refused' | 'none';
  /** Whether the first message accepted came over TLS (undefined when none was). */
  secure?: boolean;
  split: boolean;
  recipientsRefused: boolean;
  /** Why the last session ended early, when it did. */
  cutShort?: string;
}

export function outcomeOf(sessions: readonly SessionSummary[]): SendOutcome {
  const accepted = sessions.flatMap((session) => session.accepted);
  const tlsStates = new Set(sessions.map((session) => session.tls));
  const tls = (['established', 'failed', 'refused'] as const).find((state) => tlsStates.has(state)) ?? 'none';
  const first = accepted.find((message) => !message.hidden) ?? accepted[0];
  const cutShort = sessions[sessions.length - 1]?.cutShort;
  return {
    delivered: accepted.length > 0,
    messages: accepted.length,
    tls,
    ...(first ? { secure: first.secure } : {}),
    split: sessions.some((session) => session.split),
    recipientsRefused: sessions.some((session) => session.recipientsRefused > 0),
    ...(cutShort ? { cutShort } : {}),
  };
}

/** Whether the outcome is one the scenario calls healthy; no `expect`: any outcome is. */
export function meetsExpectation(outcome: SendOutcome, expect: SenderOutcomeExpectation | SenderOutcomeExpectation[] | undefined): boolean {
  if (!expect) return true;
  return [expect].flat().some((entry) => (Object.keys(entry) as Array<keyof SenderOutcomeExpectation>).every((key) => entry[key] === undefined || entry[key] === outcome[key]));
}

/** The outcome in one line, for the report and the receive.sh table. */
export function describeOutcome(outcome: SendOutcome): string {
  const parts: string[] = [];
  if (outcome.split) parts.push(`split: ${outcome.messages} messages accepted`);
  else if (outcome.delivered) parts.push(`delivered ${outcome.secure ? 'over TLS' : 'in plaintext'}${outcome.messages > 1 ? ` (${outcome.messages} messages)` : ''}`);
  else parts.push('not delivered');
  if (outcome.tls === 'failed') parts.push('TLS failed');
  if (outcome.tls === 'refused') parts.push('STARTTLS refused');
  if (outcome.recipientsRefused) parts.push('some recipients refused');
  return parts.join(', ');
}
