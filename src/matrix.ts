// `broken-mta matrix -- <client command>`: runs one client against many scenarios and
// compares what happened (the client's exit code and output, the server's events) with
// what each scenario file expects of that kind of client.
import { spawn } from 'node:child_process';
import type { SessionEvent } from './events.js';
import { startScenario, type StartOptions } from './index.js';
import type { ClientExpectation, Scenario } from './scenario/schema.js';

export interface Observed {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
  delivered: boolean;
  tls: 'established' | 'failed' | 'none';
  /** The alert the client sent, as the server recorded it. */
  alert?: number;
}

export interface MatrixRow {
  scenario: string;
  expected?: ClientExpectation;
  observed: Observed;
  /** What did not match; empty when everything did. */
  mismatches: string[];
  verdict: 'pass' | 'fail' | 'no expectation';
  durationMs: number;
}

export interface MatrixOptions extends Omit<StartOptions, 'port'> {
  /** Which `expect` entry of the scenario files applies. */
  client: string;
  /** The command, with {host} {port} {scenario} {ca} in its arguments. */
  command: string[];
  timeoutMs: number;
  onProgress?: (row: MatrixRow, index: number, total: number) => void;
}

export async function runMatrix(scenarios: string[], options: MatrixOptions): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const [index, reference] of scenarios.entries()) {
    const row = await runOne(reference, options);
    rows.push(row);
    options.onProgress?.(row, index, scenarios.length);
  }
  return rows;
}

async function runOne(reference: string, options: MatrixOptions): Promise<MatrixRow> {
  const started = Date.now();
  const mta = await startScenario(reference, { ...options, port: 0 });
  try {
    const fill = (arg: string) =>
      arg.replaceAll('{host}', mta.host).replaceAll('{port}', String(mta.port)).replaceAll('{scenario}', mta.scenario.name).replaceAll('{ca}', mta.caFile);
    const [program, ...args] = options.command.map(fill);
    const result = await runClient(program!, args, options.timeoutMs);
    // The server records the last of a session just after the client has gone.
    await mta.waitFor((event) => event.type === 'close', { timeoutMs: 1000 }).catch(() => undefined);
    const observed = observe(result, mta.events);
    const expected = mta.scenario.expect?.[options.client as keyof NonNullable<Scenario['expect']>];
    const mismatches = expected ? compare(expected, observed) : [];
    return {
      scenario: mta.scenario.name,
      ...(expected ? { expected } : {}),
      observed,
      mismatches,
      verdict: !expected ? 'no expectation' : mismatches.length ? 'fail' : 'pass',
      durationMs: Date.now() - started,
    };
  } finally {
    await mta.close();
  }
}

function runClient(program: string, args: string[], timeoutMs: number): Promise<{ exitCode: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let timedOut = false;
    const keep = (chunk: Buffer) => {
      // A chatty client must not grow memory without bound.
      if (output.length < 1_000_000) output += chunk.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.stdin.on('error', () => undefined);
    child.stdin.end();
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: null, timedOut: false, output: `cannot run ${program}: ${error.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, timedOut, output });
    });
  });
}

function observe(result: { exitCode: number | null; timedOut: boolean; output: string }, events: SessionEvent[]): Observed {
  const failed = events.find((event) => event.type === 'tls-failed');
  const established = events.some((event) => event.type === 'tls-established');
  const alert = failed?.type === 'tls-failed' ? failed.clientAlert?.code : undefined;
  return {
    ...result,
    delivered: events.some((event) => event.type === 'message'),
    tls: established ? 'established' : failed ? 'failed' : 'none',
    ...(alert !== undefined ? { alert } : {}),
  };
}

export function compare(expected: ClientExpectation, observed: Observed): string[] {
  const mismatches: string[] = [];
  if (expected.exit !== undefined) {
    const ok =
      expected.exit === 'zero' ? observed.exitCode === 0 : expected.exit === 'nonzero' ? observed.exitCode !== 0 : observed.exitCode === expected.exit;
    if (!ok) mismatches.push(`exit ${expected.exit}, got ${observed.timedOut ? 'a timeout' : observed.exitCode}`);
  }
  for (const text of [expected.output ?? []].flat()) {
    if (!observed.output.includes(text)) mismatches.push(`output lacks "${text}"`);
  }
  if (expected.delivered !== undefined && expected.delivered !== observed.delivered) {
    mismatches.push(expected.delivered ? 'not delivered' : 'delivered');
  }
  if (expected.tls !== undefined && expected.tls !== observed.tls) mismatches.push(`TLS ${expected.tls}, got ${observed.tls}`);
  if (expected.alert !== undefined && expected.alert !== observed.alert) {
    mismatches.push(`alert ${expected.alert}, got ${observed.alert ?? 'none'}`);
  }
  return mismatches;
}

export function describeExpectation(expected: ClientExpectation | undefined): string {
  if (!expected) return '-';
  const parts: string[] = [];
  if (expected.delivered !== undefined) parts.push(expected.delivered ? 'delivered' : 'not delivered');
  if (expected.tls !== undefined) parts.push(`TLS ${expected.tls}`);
  if (expected.alert !== undefined) parts.push(`alert ${expected.alert}`);
  if (expected.exit !== undefined) parts.push(`exit ${expected.exit}`);
  return parts.join(', ') || 'output only';
}

export function describeObserved(observed: Observed): string {
  const parts = [observed.delivered ? 'delivered' : 'not delivered', `TLS ${observed.tls}`];
  if (observed.alert !== undefined) parts.push(`alert ${observed.alert}`);
  parts.push(observed.timedOut ? 'timed out' : `exit ${observed.exitCode}`);
  return parts.join(', ');
}

export function formatTable(rows: MatrixRow[]): string {
  const header = ['scenario', 'expected', 'observed', 'result'];
  const body = rows.map((row) => [
    row.scenario,
    describeExpectation(row.expected),
    describeObserved(row.observed),
    row.verdict === 'fail' ? `FAIL: ${row.mismatches.join('; ')}` : row.verdict,
  ]);
  const widths = header.map((_, column) => Math.max(header[column]!.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  const passed = rows.filter((row) => row.verdict === 'pass').length;
  const failed = rows.filter((row) => row.verdict === 'fail').length;
  return [line(header), ...body.map(line), '', `${passed} passed, ${failed} failed, ${rows.length - passed - failed} without an expectation`].join('\n');
}

const escapeXml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '');

export function formatJUnit(rows: MatrixRow[], client: string): string {
  const failures = rows.filter((row) => row.verdict === 'fail').length;
  const skipped = rows.filter((row) => row.verdict === 'no expectation').length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = rows.reduce((sum, row) => sum + row.durationMs, 0);
  const cases = rows.map((row) => {
    const open = `    <testcase classname="broken-mta.${escapeXml(client)}" name="${escapeXml(row.scenario)}" time="${seconds(row.durationMs)}">`;
    const output = `      <system-out>${escapeXml(row.observed.output.slice(-8000))}</system-out>`;
    if (row.verdict === 'fail') {
      const message = escapeXml(row.mismatches.join('; '));
      return `${open}\n      <failure message="${message}">expected: ${escapeXml(describeExpectation(row.expected))}\nobserved: ${escapeXml(describeObserved(row.observed))}</failure>\n${output}\n    </testcase>`;
    }
    if (row.verdict === 'no expectation') return `${open}\n      <skipped message="the scenario declares no expectation for ${escapeXml(client)}"/>\n    </testcase>`;
    return `${open}\n${output}\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="broken-mta matrix" tests="${rows.length}" failures="${failures}" skipped="${skipped}" time="${seconds(total)}">`,
    `  <testsuite name="broken-mta.${escapeXml(client)}" tests="${rows.length}" failures="${failures}" skipped="${skipped}" time="${seconds(total)}">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
