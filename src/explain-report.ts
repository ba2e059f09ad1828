// What `broken-mta explain` prints for each scenario a log line led to: the scenario, the
// claim's words, and how to reproduce it. A server scenario is run and a client pointed at
// it; a sender scenario is pointed at the admin's own MTA, set up as the claim says.
import { clientKind, invocationLines, type Target } from './claims/clients.js';
import type { Explanation } from './explain.js';
import { receiverConfigLines } from './sender/receivers.js';

export function explanationLines(match: Explanation, index: number, target: Target): string[] {
  const lines = [`${index + 1}. ${match.scenario}: ${match.summary}`];
  const exact = match.exact ? ' (the exact text)' : '';
  if (match.kind === 'server') lines.push(`   ${match.claim.client}: ${match.text}${exact}`);
  else lines.push(`   ${match.claim.receiver}, as the receiver: ${match.text}${exact}`);
  if (!match.exact) lines.push(`   shared: ${match.shared.join(', ')}`);
  if (match.kind === 'server') {
    lines.push(`   run it: broken-mta --scenario ${match.scenario}`);
    lines.push(`   then:   ${invocationLines(clientKind(match.claim.client)!.invoke(match.claim.with ?? {}, target, 1)).join('\n           ')}`);
    return lines;
  }
  const config = receiverConfigLines(match.claim.receiver, match.claim.with);
  if (config.length) lines.push(`   with:   ${config.join('\n           ')}`);
  lines.push(`   run it: broken-mta send --scenario ${match.scenario} --to YOUR-MTA:25 --rcpt postmaster@your.domain`);
  return lines;
}
