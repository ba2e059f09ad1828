// A sender scenario's page for `broken-mta show`, and its line for `broken-mta list
// --senders`: the same shape as a server scenario's, with the receiving MTA's symptoms.
import { stringify } from 'yaml';
import { isSenderReference, loadSenderScenario, senderCatalogueNames } from '../scenario/sender-load.js';
import { textsOf, type ReceiverClaim } from '../scenario/sender-claims.js';
import type { SenderScenario } from '../scenario/sender-schema.js';
import { receiverConfigLines } from './receivers.js';

export { isSenderReference };

/** What a claim says, in one line: the texts first, then the outcome. */
function describeClaim(claim: ReceiverClaim): string {
  const parts = [
    ...textsOf(claim.logs).map((text) => `logs "${text}"`),
    ...textsOf(claim.prints).map((text) => `broken-mta send prints "${text}"`),
    ...(claim.delivered === undefined ? [] : [claim.delivered ? 'delivered' : 'not delivered']),
    ...(claim.tls === undefined ? [] : [`TLS ${claim.tls}`]),
    ...(claim.split === undefined ? [] : [claim.split ? 'split' : 'not split']),
    ...(claim.queued === undefined ? [] : [`${claim.queued} queued`]),
    ...(claim.healthy === undefined ? [] : [claim.healthy ? 'healthy (send exits 0)' : 'NOT healthy (send exits 1)']),
  ];
  return parts.join('; ');
}

function claimLines(claim: ReceiverClaim, index: number): string[] {
  const settings = Object.entries(claim.with ?? {}).map(([key, value]) => `${key} ${value}`);
  const lines = [`  ${index + 1}. ${claim.receiver}${settings.length ? ` (${settings.join(', ')})` : ''}: ${describeClaim(claim)}`];
  lines.push(...receiverConfigLines(claim.receiver, claim.with).map((line) => `     ${line}`));
  if (claim.note) lines.push(`     note: ${claim.note}`);
  return lines;
}

export function senderPage(scenario: SenderScenario): string {
  const out = [scenario.summary ? `${scenario.name}: ${scenario.summary}` : scenario.name];
  if (scenario.imitates) out.push('', `Imitates: ${scenario.imitates}`);
  if (scenario.symptoms.length) out.push('', 'Symptoms (what receivers make of it):', ...scenario.symptoms.flatMap(claimLines));
  if (scenario.fixes.length) out.push('', 'Fixes:', ...scenario.fixes.map((fix) => `  - ${fix}`));
  out.push('', 'Run it against your MTA:', `  broken-mta send --scenario ${scenario.name} --to HOST:PORT --rcpt a-mailbox@your.domain`);
  if (scenario.expect) {
    const healthy = [scenario.expect].flat().map((entry) => Object.entries(entry).map(([key, value]) => `${key}=${value}`).join(' '));
    out.push('', `A healthy receiver: ${healthy.join(' or ')} (send exits 0; otherwise 1)`);
  }
  out.push('', 'Behaviour:', ...stringify({ sender: scenario.sender }, { lineWidth: 0 }).trimEnd().split('\n').map((line) => `  ${line}`));
  return out.join('\n');
}

export function showSender(reference: string): string {
  return senderPage(loadSenderScenario(reference).scenario);
}

export function senderList(): string {
  const scenarios = senderCatalogueNames().map((name) => loadSenderScenario(name).scenario);
  const width = Math.max(...scenarios.map((scenario) => scenario.name.length));
  return scenarios.map(({ name, summary }) => `${name.padEnd(width)}  ${summary ?? ''}`.trimEnd()).join('\n');
}
