// A sender scenario's page for `broken-mta show`, and its line for `broken-mta list
// --senders`: the same shape as a server scenario's, with the receiving MTA's symptoms.
import { stringify } from 'yaml';
import { isSenderReference, loadSenderScenario, senderCatalogueNames } from '../scenario/sender-load.js';
import type { SenderScenario } from '../scenario/sender-schema.js';

export { isSenderReference };

export function senderPage(scenario: SenderScenario): string {
  const out = [`${scenario.name}: ${scenario.summary}`, '', `Imitates: ${scenario.imitates}`, '', 'Symptoms:'];
  for (const symptom of scenario.symptoms) out.push(`  ${'receiver' in symptom ? symptom.receiver : 'broken-mta send'}: ${symptom.text}`);
  out.push('', 'Fixes:', ...scenario.fixes.map((fix) => `  - ${fix}`));
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
  return scenarios.map(({ name, summary }) => `${name.padEnd(width)}  ${summary}`).join('\n');
}
