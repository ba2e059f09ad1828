// A whole run of a sender scenario: its sessions one after another (and the plaintext
// retry some senders make after a TLS failure), the events of all of them, and the outcome.
import { alertCode } from '../tls/alerts.js';
import type { SessionEvent, SessionEventInput } from '../events.js';
import { FaultState } from '../faults/when.js';
import type { SenderScenario } from '../scenario/sender-schema.js';
import type { ClientScript } from '../tls/engine/client.js';
import type { ProtocolVersion } from '../tls/engine/suites.js';
import type { SessionSummary } from './machine.js';
import { meetsExpectation, outcomeOf, type SendOutcome } from './outcome.js';
import { messageLines, type SessionPlan } from './plan.js';
import { runSession, type SenderTls } from './session.js';

export interface SendOptions {
  host: string;
  port: number;
  from: string;
  recipients: string[];
  helo: string;
  /** Sessions to run; the scenario's `sessions` when not given. */
  count?: number;
  /** How long any one wait may last. */
  timeoutMs: number;
  /** Each event as it happens. */
  onEvent?: (event: SessionEvent) => void;
}

export interface SendResult {
  scenario: SenderScenario;
  events: SessionEvent[];
  sessions: SessionSummary[];
  outcome: SendOutcome;
  /** Whether the receiver did what the scenario calls healthy. */
  asExpected: boolean;
}

export async function runSender(scenario: SenderScenario, options: SendOptions): Promise<SendResult> {
  const events: SessionEvent[] = [];
  const sessions: SessionSummary[] = [];
  const faultState = new FaultState();
  const tls = clientTlsOptions(scenario);
  const count = options.count ?? scenario.sender.sessions;
  let number = 0;
  const runOne = async (starttls: boolean) => {
    const session = ++number;
    const record = (event: SessionEventInput) => {
      const stamped = { time: new Date().toISOString(), scenario: scenario.name, session, ...event } as SessionEvent;
      events.push(stamped);
      options.onEvent?.(stamped);
    };
    const plan: SessionPlan = {
      session,
      scenario: scenario.name,
      helo: options.helo,
      from: options.from,
      recipients: [...options.recipients],
      messageLines: messageLines({ scenario: scenario.name, session, helo: options.helo, from: options.from, recipients: options.recipients, date: new Date() }),
      starttls,
      faults: scenario.sender.faults,
      faultState,
      receiverAddress: options.host,
    };
    const summary = await runSession({ host: options.host, port: options.port, plan, tls, timeoutMs: options.timeoutMs, record });
    sessions.push(summary);
    return summary;
  };
  for (let i = 0; i < count; i++) {
    const summary = await runOne(scenario.sender.starttls);
    if (summary.tls === 'failed' && scenario.sender.retry === 'plaintext') await runOne(false);
  }
  const outcome = outcomeOf(sessions);
  return { scenario, events, sessions, outcome, asExpected: meetsExpectation(outcome, scenario.expect) };
}

function clientTlsOptions(scenario: SenderScenario): SenderTls {
  const { engine, versions, ciphers, script, serverName, renegotiationInfo } = scenario.sender.tls;
  const clientScript: ClientScript = {};
  if (script?.alertAfter) {
    const { step, alert } = script.alertAfter;
    clientScript.alertAfter = { step, alert: typeof alert === 'number' ? alert : alertCode(alert)! };
  }
  if (script?.closeAfter) clientScript.closeAfter = script.closeAfter;
  if (script?.stopAfter) clientScript.stopAfter = script.stopAfter;
  if (engine === 'scripted') {
    // The schema has made sure both are there, and that no version is TLS 1.3.
    const hello = { versions: versions as ProtocolVersion[], suites: ciphers!.split(':'), renegotiationInfo, ...(serverName ? { serverName } : {}) };
    return { engine, hello, script: clientScript };
  }
  const nodeVersions = versions?.filter((version) => version !== 'SSLv3') as Array<'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'> | undefined;
  return { engine, options: { ...(nodeVersions ? { versions: nodeVersions } : {}), ...(ciphers ? { ciphers } : {}), script: clientScript } };
}
