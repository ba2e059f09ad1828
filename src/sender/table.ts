// The README's table of Postfix and Exim as receivers side by side (sendmail has a table of
// its own there, with its access map), made from the sender pages' claims, which the
// receiver suites check: it says nothing a test does not. test/sender/scenarios.test.ts
// compares the README with it.
import { loadSenderScenario, senderCatalogueNames } from '../scenario/sender-load.js';
import { textsOf, type ReceiverClaim } from '../scenario/sender-claims.js';

const COLUMNS: ReadonlyArray<[ReceiverClaim['receiver'], string]> = [
  ['postfix', 'Postfix 3.7.11'],
  ['exim', 'Exim 4.96'],
];

/** What came of the run, in a few words. */
function outcomeWords(claim: ReceiverClaim): string {
  const words: string[] = [];
  if (claim.split) words.push('**split**');
  else if (claim.delivered === true) words.push(claim.tls === 'none' ? 'delivered in plaintext' : claim.tls === 'established' ? 'delivered over TLS' : 'delivered');
  else if (claim.delivered === false) words.push('not delivered');
  if (claim.tls === 'failed') words.push('TLS failed');
  if (claim.healthy === false) words.push('NOT as a healthy receiver does');
  return words.join(', ');
}

function settingsWords(claim: ReceiverClaim): string {
  return Object.entries(claim.with ?? {})
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
}

function cell(claims: ReceiverClaim[]): string {
  const parts = claims.map((claim) => {
    // The log says why only where the message did not simply go through.
    const why = claim.delivered === false || claim.split ? textsOf(claim.logs)[0] : undefined;
    const said = `${outcomeWords(claim)}${why ? ` (\`${why.replace(/\|/g, '\\|')}\`)` : ''}`;
    return claim.with ? `with ${settingsWords(claim)}: ${said}` : said;
  });
  return parts.join('; ');
}

/** The Markdown table: one row per sender, one column per receiver. */
export function receiverTable(): string {
  const header = `| sender | ${COLUMNS.map(([, title]) => title).join(' | ')} |`;
  const rule = `| --- | ${COLUMNS.map(() => '---').join(' | ')} |`;
  const rows = senderCatalogueNames().map((name) => {
    const { symptoms } = loadSenderScenario(name).scenario;
    return `| \`${name}\` | ${COLUMNS.map(([receiver]) => cell(symptoms.filter((claim) => claim.receiver === receiver))).join(' | ')} |`;
  });
  return [header, rule, ...rows].join('\n');
}
