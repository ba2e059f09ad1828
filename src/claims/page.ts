// A scenario's claims as `broken-mta show` prints them: what each client shows, and the
// command that shows it, ready to paste once the scenario is served.
import { DEFAULT_DOMAIN } from '../defaults.js';
import type { Scenario } from '../scenario/schema.js';
import { describeExpectation } from './check.js';
import type { Claim } from './claim.js';
import { clientKind, invocationLines, type Target } from './clients.js';

function settingsText(claim: Claim): string {
  const settings = Object.entries(claim.with ?? {}).map(([key, value]) => (value === true ? key : `${key} ${Array.isArray(value) ? value.join(',') : value}`));
  return settings.length ? ` (${settings.join(', ')})` : '';
}

/** The commands of every attempt a claim makes; the same command repeated is said once. */
function commands(claim: Claim, target: Target): string[] {
  const kind = clientKind(claim.client)!;
  const attempts = claim.attempt ?? 1;
  const lines: string[] = [];
  let previous = '';
  let repeated = 0;
  const flush = () => {
    if (repeated > 1) lines[lines.length - 1] += `   # ${repeated} times`;
  };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const text = invocationLines(kind.invoke(claim.with ?? {}, target, attempt)).join('\n');
    if (text === previous) {
      repeated++;
      continue;
    }
    flush();
    lines.push(...text.split('\n').map((line) => `$ ${line}`));
    previous = text;
    repeated = 1;
  }
  flush();
  return lines;
}

/** The line above the symptoms: what must be running for their commands to show them. */
export function symptomsHeading(scenario: Scenario, serve: string): string {
  if (scenario.mtaSts) {
    return `Symptoms (with \`broken-mta dns --scenario ${scenario.name} --domain broken-mta.test\` running, {resolver} the resolver its JSON line names, and the sender resolving through it as the README's "MTA-STS test domains" says):`;
  }
  if (scenario.dns) return `Symptoms (with \`broken-mta dns --scenario ${scenario.name}\` running and the MTA resolving through it, as the README's "DANE test domains" says):`;
  return `Symptoms (with \`${serve}\` running, each command shows its line):`;
}

const MESSAGE = "printf 'Subject: broken-mta\\n\\nhello\\n'";

/** A domain's claims (a `dns` section): the MTA routes by the domain's DNS, so no relay host or smarthost is set. */
function domainCommands(claim: Claim): string[] {
  const to = `rcpt@${DEFAULT_DOMAIN}`;
  if (claim.client === 'postfix') {
    return ["$ postconf -e 'smtp_dns_support_level = dnssec' 'smtp_tls_security_level = dane' && postfix reload", `$ ${MESSAGE} | sendmail -f sender@client.example.test ${to}`];
  }
  if (claim.client === 'exim') return [`$ ${MESSAGE} | exim4 -odq -f sender@client.example.test ${to} && exim4 -qff`];
  return [];
}

export function renderClaims(scenario: Scenario, target: Target): string[] {
  if (scenario.dns) {
    return scenario.symptoms.flatMap((claim, index) => [
      `  ${index + 1}. ${claim.client}: ${describeExpectation(claim)}`,
      ...domainCommands(claim).map((line) => `     ${line}`),
      ...(claim.note ? [`     note: ${claim.note}`] : []),
    ]);
  }
  const out: string[] = [];
  scenario.symptoms.forEach((claim, index) => {
    const attempt = claim.attempt ? `, attempt ${claim.attempt}` : '';
    out.push(`  ${index + 1}. ${claim.client}${settingsText(claim)}${attempt}: ${describeExpectation(claim)}`);
    if (claim.client === 'sendmail') out.push(`     (the README's sendmail recipe, its ESMTP_MAILER_ARGS on port ${target.port})`);
    if (claim.client === 'postfix') out.push("     (Debian's stock main.cf, as examples/postfix/run.sh runs it)");
    if (claim.client === 'exim') out.push(`     (Debian's smarthost configuration; ${target.hostname} names the scenario's address, which is not 127.0.0.1: Exim takes that for itself)`);
    if (claim.with?.clientCert) out.push('     (the client certificate and key: broken-mta certs --client)');
    if (claim.with?.crl && claim.client !== 'openssl') out.push(`     (the CRL: curl -s URL | openssl crl -inform DER -out ${target.crl}, with the URL the server prints when it starts)`);
    out.push(...commands(claim, target).map((line) => `     ${line}`));
    if (claim.note) out.push(`     note: ${claim.note}`);
  });
  return out;
}
