// The API's way in: a scenario by name, file or object, and the options with their
// defaults, for startSender() in src/index.ts and `broken-mta send`.
import { loadSenderScenario, parseSenderScenarioObject } from '../scenario/sender-load.js';
import type { SenderScenario, SenderScenarioInput } from '../scenario/sender-schema.js';
import type { SessionEvent } from '../events.js';
import { SEND_DEFAULTS } from './defaults.js';
import { runSender, type SendResult } from './run.js';

/** A catalogue name (`sender-pregreet`), a path to a scenario file, or a scenario object. */
export type SenderReference = string | SenderScenarioInput;

export interface StartSenderOptions {
  /** The receiving MTA (default 127.0.0.1). */
  host?: string;
  port: number;
  /** The envelope sender (default sender@client.example.test). */
  from?: string;
  /** The recipients (default rcpt@example.test): give one your MTA accepts. */
  rcpt?: string[];
  /** The name in EHLO (default client.example.test). */
  helo?: string;
  /** Sessions, one message each (default: the scenario's `sessions`, else 1). */
  count?: number;
  /** How long any one wait may last, in ms (default 15000). */
  timeoutMs?: number;
  /** Each event as it happens. */
  onEvent?: (event: SessionEvent) => void;
}

export { SEND_DEFAULTS } from './defaults.js';

export function loadSender(reference: SenderReference): SenderScenario {
  return typeof reference === 'string' ? loadSenderScenario(reference).scenario : parseSenderScenarioObject(reference);
}

export async function sendScenario(reference: SenderReference, options: StartSenderOptions): Promise<SendResult> {
  const scenario = loadSender(reference);
  return runSender(scenario, {
    host: options.host ?? SEND_DEFAULTS.host,
    port: options.port,
    from: options.from ?? SEND_DEFAULTS.from,
    recipients: options.rcpt?.length ? [...options.rcpt] : [SEND_DEFAULTS.rcpt],
    helo: options.helo ?? SEND_DEFAULTS.helo,
    timeoutMs: options.timeoutMs ?? SEND_DEFAULTS.timeoutMs,
    ...(options.count ? { count: options.count } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}
