// `broken-mta matrix -- <client command>`: runs any client against many scenarios and
// reports, for each, what was observed (the client's exit and output, the server's events).
// With expectations (the user's own `--expect FILE`, or the catalogue's claims for a known
// client with `--client KIND`) each row passes or fails; without, it says what it saw.
import { mismatches, type Observation } from './claims/check.js';
import type { Expectation } from './claims/claim.js';
import { observeRun } from './claims/observe.js';
import { runProgram } from './claims/run.js';
import { DEFAULT_LIMITS, startScenario, type StartOptions } from './index.js';
import type { Scenario } from './scenario/schema.js';

export type Verdict = 'pass' | 'fail' | 'observed' | 'no expectation';

export interface MatrixRow {
  scenario: string;
  /** What this scenario's row is held to; undefined: nothing (observed only). */
  expected?: Expectation[];
  observation: Observation;
  /** What did not match; empty when everything did. */
  mismatches: string[];
  verdict: Verdict;
  durationMs: number;
}

/** Where a row's expectations come from: none (observe only), or one list per scenario. */
export type ExpectationSource = ((scenario: Scenario) => Expectation[] | undefined) | undefined;

export interface MatrixOptions extends Omit<StartOptions, 'port'> {
  /** The command, with {host} {port} {scenario} {ca} in its arguments. */
  command: string[];
  expectations: ExpectationSource;
  timeoutMs: number;
  /** How many scenarios run at once (each on its own port). */
  jobs?: number;
  /** The command prints its MTA's log lines of the run (examples/postfix/run.sh --to): `logs` is checked against them. */
  outputIsLog?: boolean;
  onProgress?: (row: MatrixRow, done: number, total: number) => void;
}

/** The catalogue's claims for one kind of client run its default way: what `--client KIND` borrows. */
export function catalogueExpectations(client: string): NonNullable<ExpectationSource> {
  return (scenario) => {
    // A domain's claims (the dane-* pages) are about an MTA routing by its DNS: a matrix
    // row connects to one port, so test/dane checks them instead.
    if (scenario.dns) return undefined;
    const claims = scenario.symptoms.filter((claim) => claim.client === client && Object.keys(claim.with ?? {}).length === 0 && (claim.attempt ?? 1) === 1);
    return claims.length ? claims : undefined;
  };
}

export async function runMatrix(scenarios: string[], options: MatrixOptions): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = new Array(scenarios.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const index = next++;
      rows[index] = await runOne(scenarios[index]!, options);
      options.onProgress?.(rows[index], ++done, scenarios.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs ?? 1, scenarios.length)) }, worker));
  return rows;
}

async function runOne(reference: string, options: MatrixOptions): Promise<MatrixRow> {
  const started = Date.now();
  const { command, expectations, timeoutMs, outputIsLog, jobs: _jobs, onProgress: _onProgress, ...start } = options;
  // A session may idle half the client's time: a client that waits for the server to give
  // up (a silent handshake, a hung reply) sees it happen within its own limit.
  const mta = await startScenario(reference, { ...start, port: 0, limits: { idleTimeoutMs: Math.min(DEFAULT_LIMITS.idleTimeoutMs, Math.ceil(timeoutMs / 2)) } });
  try {
    const fill = (arg: string) =>
      arg.replaceAll('{host}', mta.host).replaceAll('{port}', String(mta.port)).replaceAll('{scenario}', mta.scenario.name).replaceAll('{ca}', mta.caFile);
    // The server records the end of a session just after the client has gone.
    const run = await observeRun(mta, () => runProgram(command.map(fill), timeoutMs), 1000);
    const observation = outputIsLog ? { ...run, log: run.output.split('\n').filter(Boolean) } : run;
    const expected = expectations?.(mta.scenario);
    const found = expected ? expected.flatMap((expectation) => mismatches(expectation, observation)) : [];
    return {
      scenario: mta.scenario.name,
      ...(expected ? { expected } : {}),
      observation,
      mismatches: found,
      verdict: !expectations ? 'observed' : !expected ? 'no expectation' : found.length ? 'fail' : 'pass',
      durationMs: Date.now() - started,
    };
  } finally {
    await mta.close();
  }
}

