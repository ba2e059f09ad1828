// What `broken-mta send` prints: one line per event as it happens, in the same words as
// the server's log (C: is broken-mta, S: the receiver), and the outcome at the end.
import type { SessionEvent } from '../events.js';
import { formatEvent } from '../format.js';
import { describeOutcome } from './outcome.js';
import type { SendResult } from './run.js';

export function formatSenderEvent(event: SessionEvent): string {
  const prefix = `${event.time.slice(11, 23)} #${event.session}`;
  if (event.type === 'connect') return `${prefix} connected to ${event.remoteAddress}:${event.remotePort}`;
  if (event.type === 'message') return `${prefix} message accepted by the receiver${event.secure ? ' over TLS' : ''}: from <${event.from}> to ${event.to.length} recipient${event.to.length === 1 ? '' : 's'}`;
  return formatEvent(event);
}

/** The last line: what the run came to, and whether that is what a healthy receiver does. */
export function formatVerdict(result: SendResult): string {
  const outcome = describeOutcome(result.outcome);
  const cut = result.outcome.cutShort ? ` (${result.outcome.cutShort})` : '';
  if (!result.scenario.expect) return `outcome: ${outcome}${cut}`;
  const wanted = [result.scenario.expect].flat().map((entry) => Object.entries(entry).map(([key, value]) => `${key}=${value}`).join(' ')).join(' or ');
  return `outcome: ${outcome}${cut}; ${result.asExpected ? 'as' : 'NOT as'} a healthy receiver does (${wanted})`;
}
