// Every claim on every scenario page, run with the real client exactly as `broken-mta show`
// prints it, against a fresh server of that scenario (greylisting, rate limits and
// duplicate detection keep state across sessions, so claims never share one). A claim that
// does not hold fails naming the scenario, the client, the command, what was expected and
// what the client and the server really printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeExpectation, mismatches, serverLines, type Observation } from '../../src/claims/check.js';
import { CERT_PROFILES, KEY_SPECS } from '../../src/certs/profiles.js';
import type { Claim } from '../../src/claims/claim.js';
import { clientKind, invocationLines, type Invocation, type Target } from '../../src/claims/clients.js';
import { observeRun, type ClientRun } from '../../src/claims/observe.js';
import { runShell } from '../../src/claims/run.js';
import { commandLine } from '../../src/claims/clients.js';
import { DEFAULT_HOSTNAME, startScenario, type RunningScenario } from '../../src/index.js';
import { catalogueNames, loadScenarioWithFile } from '../../src/scenario/load.js';
import type { Scenario } from '../../src/scenario/schema.js';
import { run } from './clients.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The server's idle timeout in these runs: short, so that a scenario that holds a session
 * (abort-silence, data-timeout, a STARTTLS client at an implicit-TLS port) lets it go in
 * seconds; longer than the clients' own 5 s timeouts, so that they still give up first.
 */
export const CLAIM_IDLE_TIMEOUT_MS = 8000;

export interface ScenarioClaim {
  scenario: Scenario;
  claim: Claim;
  /** Its place on the page, from 1. */
  index: number;
}

/**
 * The claims of one client on the catalogue's pages (or on the pages given). A domain's
 * pages (a `dns` section: the dane-* scenarios) are left out of the catalogue's: their
 * claims are about an MTA that routes by the domain's DNS, and test/dane checks them.
 */
export function catalogueClaims(client: string, scenarios = catalogueNames().map((name) => loadScenarioWithFile(name).scenario).filter((scenario) => !scenario.dns)): ScenarioClaim[] {
  return scenarios.flatMap((scenario) => scenario.symptoms.flatMap((claim, at) => (claim.client === client ? [{ scenario, claim, index: at + 1 }] : [])));
}

let clientFiles: Promise<{ clientCert: string; clientKey: string }> | undefined;

/** The test CA's client certificate, as `broken-mta certs --client` makes and prints it. */
function clientCertificate(): Promise<{ clientCert: string; clientKey: string }> {
  clientFiles ??= run('node', [join(ROOT, 'dist', 'cli.js'), 'certs', '--client']).then((result) => {
    const [clientCert, clientKey] = result.stdout.trim().split('\n');
    if (result.code !== 0 || !clientKey) throw new Error(`broken-mta certs --client failed: ${result.output}`);
    return { clientCert: clientCert!, clientKey };
  });
  return clientFiles;
}

/** Where the claims point their client; the CRL file, when there is one, is the caller's to remove. */
export async function targetOf(mta: RunningScenario, crl?: string): Promise<Target> {
  return {
    host: mta.host,
    port: String(mta.port),
    ca: mta.caFile,
    hostname: DEFAULT_HOSTNAME,
    ...(await clientCertificate()),
    // Beside the test CA in the certificate cache, as `certs --export` writes it.
    retiredRoot: join(dirname(mta.caFile), 'retired-root.pem'),
    crl: crl ?? '/nonexistent/no-crl-asked-for.pem',
  };
}

/**
 * The CRL at the scenario's distribution point, fetched as a user would (`show` says how),
 * in a PEM file of a folder of its own. Before the run: the fetch is not the client's.
 */
async function fetchCrl(mta: RunningScenario): Promise<string> {
  if (!mta.crlUrl) throw new Error(`${mta.scenario.name} publishes no CRL: its certificate names no distribution point`);
  const response = await fetch(mta.crlUrl);
  if (!response.ok) throw new Error(`GET ${mta.crlUrl}: ${response.status}`);
  const base64 = Buffer.from(await response.arrayBuffer()).toString('base64');
  const file = join(mkdtempSync(join(tmpdir(), 'broken-mta-crl-')), 'crl.pem');
  writeFileSync(file, `-----BEGIN X509 CRL-----\n${base64.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END X509 CRL-----\n`);
  return file;
}

/** How one attempt is run: a shell command, or (sendmail) the suite's own MTA runner. */
export type AttemptRunner = (invocation: Invocation) => Promise<ClientRun>;

export const runCommand: AttemptRunner = (invocation) => {
  if (invocation.kind !== 'command') throw new Error(`no runner here for ${invocation.kind}: its claims run in test/sendmail`);
  return runShell(commandLine(invocation), invocation.timeoutMs);
};

/** Runs the claim's attempts against a server already started, and throws what does not hold. */
export async function checkClaim(mta: RunningScenario, { scenario, claim, index }: ScenarioClaim, runAttempt: AttemptRunner): Promise<void> {
  const kind = clientKind(claim.client)!;
  // openssl fetches the CRL itself; the others are given the file.
  const crl = claim.with?.crl && claim.client !== 'openssl' ? await fetchCrl(mta) : undefined;
  const target = await targetOf(mta, crl);
  let observation: Observation | undefined;
  let invocation: Invocation | undefined;
  try {
    for (let attempt = 1; attempt <= (claim.attempt ?? 1); attempt++) {
      invocation = kind.invoke(claim.with ?? {}, target, attempt);
      observation = await observeRun(mta, () => runAttempt(invocation!), CLAIM_IDLE_TIMEOUT_MS + 2000);
    }
  } finally {
    if (crl) rmSync(dirname(crl), { recursive: true, force: true });
  }
  assertHolds({ scenario, claim, index }, invocation!, observation!);
}

/** Throws, with the scenario, the client, the command and both logs, when the claim does not hold. */
export function assertHolds({ scenario, claim, index }: ScenarioClaim, invocation: Invocation, observation: Observation): void {
  const kind = clientKind(claim.client)!;
  const found = mismatches(claim, observation);
  if (found.length === 0) return;
  throw new Error(
    [
      `${scenario.name}: ${claim.client} (claim ${index}${claim.attempt ? `, attempt ${claim.attempt}` : ''}) does not hold`,
      `command:  ${invocationLines(invocation).join('\n          ')}`,
      `expected: ${describeExpectation(claim)}`,
      ...found.map((mismatch) => `mismatch: ${mismatch}`),
      `exit:     ${observation.timedOut ? 'killed after the time limit' : observation.exitCode}`,
      // sh says "not found" and exits 127: the client is not installed here.
      ...(observation.exitCode === 127 ? [`hint:     is ${kind.program} installed? .ci/run installs every client the catalogue's claims name`] : []),
      'output:',
      indent(observation.output),
      ...(observation.log ? ['its log:', indent(observation.log.join('\n'))] : []),
      "broken-mta's log:",
      indent(serverLines(observation.events).join('\n')),
    ].join('\n'),
  );
}

const indent = (text: string) => (text.trim() ? text.trimEnd().replace(/^/gm, '  | ') : '  | (nothing)');

/**
 * How long a scenario may take to start: one whose certificate has a slow key (rsa-8192)
 * waits for it in a fresh checkout, where the suite's setup makes it beside the run.
 */
function startMs(scenario: Scenario): number {
  return scenario.tls && 'slow' in KEY_SPECS[CERT_PROFILES[scenario.tls.cert].key] ? SLOW_KEY_MS : 0;
}

/** An RSA-8192 key: 10 to 45 s of one core (BENCHMARKS.md), longer on a busy machine. */
export const SLOW_KEY_MS = 180_000;

/** The longest a claim may take: the scenario's start, every attempt at its time limit, and the settling after each. */
export function claimTimeoutMs({ scenario, claim }: Pick<ScenarioClaim, 'scenario' | 'claim'>): number {
  const kind = clientKind(claim.client)!;
  const placeholder: Target = { host: '', port: '0', ca: '', hostname: '', clientCert: '', clientKey: '', retiredRoot: '', crl: '' };
  const attempts = claim.attempt ?? 1;
  let total = 10_000 + startMs(scenario);
  for (let attempt = 1; attempt <= attempts; attempt++) total += kind.invoke(claim.with ?? {}, placeholder, attempt).timeoutMs + CLAIM_IDLE_TIMEOUT_MS + 2000;
  return total;
}

export const claimTitle = ({ scenario, claim, index }: ScenarioClaim) =>
  `${scenario.name} #${index}: ${claim.client}${claim.with ? ` ${JSON.stringify(claim.with)}` : ''}${claim.attempt ? ` attempt ${claim.attempt}` : ''}: ${describeExpectation(claim)}`;

/** One test per claim of this client (on the catalogue's pages, or on the pages given), run side by side. */
export function describeClaims(client: string, scenarios?: Scenario[]): void {
  const claims = catalogueClaims(client, scenarios);
  describe.concurrent(`every ${client} claim of the catalogue holds`, () => {
    it('there are some', () => expect(claims.length).toBeGreaterThan(0));
    for (const entry of claims) {
      it(claimTitle(entry), { timeout: claimTimeoutMs(entry) }, async () => {
        const mta = await startScenario(entry.scenario, { limits: { idleTimeoutMs: CLAIM_IDLE_TIMEOUT_MS } });
        try {
          await checkClaim(mta, entry, runCommand);
        } finally {
          await mta.close();
        }
      });
    }
  });
}
