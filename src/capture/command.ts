// The two command-line entries into capture: `capture HOST[:PORT]`, and `explain` given a
// capture's --json output. cli.ts registers them; what they print is decided here.
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { writeAtomically } from '../certs/cache.js';
import { UsageError } from '../usage-error.js';
import { scenarioSchema } from '../scenario/schema.js';
import { capture } from './capture.js';
import { ProbeError } from './connection.js';
import { isFindings, type Findings } from './findings.js';
import { catalogue, planScenario } from './plan.js';
import { resemble } from './resemble.js';
import { writeCapture } from './write.js';

export interface CaptureFlags {
  out?: string;
  implicit?: boolean;
  starttls: boolean;
  helo: string;
  servername?: string;
  timeout: number;
  json?: boolean;
  ca?: string;
  keepHostnames?: boolean;
}

/** Bad input: the command line says what is wrong (exit 2). */
export class CaptureUsageError extends UsageError {}

export function parseTarget(target: string, implicit: boolean): { host: string; port: number } {
  const match = /^\[([^\]]+)\](?::(\d+))?$/.exec(target) ?? /^([^:\s]+)(?::(\d+))?$/.exec(target) ?? (isIP(target) === 6 ? [target, target] : null);
  const port = match?.[2] === undefined ? (implicit ? 465 : 25) : Number(match[2]);
  if (!match || !match[1] || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new CaptureUsageError(`"${target}" is not HOST[:PORT] (an IPv6 address goes in brackets: [::1]:25)`);
  }
  return { host: match[1], port };
}

/** Runs a capture; prints the scenario (or the findings) and returns the exit code. */
export async function runCapture(target: string, flags: CaptureFlags): Promise<number> {
  const { host, port } = parseTarget(target, Boolean(flags.implicit));
  if (flags.ca && !existsSync(flags.ca)) throw new CaptureUsageError(`--ca ${flags.ca}: no such file`);
  const serverName = flags.servername ?? (isIP(host) ? undefined : host);
  let findings: Findings;
  try {
    findings = await capture({
      host,
      port,
      implicit: Boolean(flags.implicit),
      ...(serverName ? { serverName } : {}),
      helo: flags.helo,
      starttls: flags.starttls,
      timeoutMs: flags.timeout,
      ...(flags.ca ? { caFile: flags.ca } : {}),
      onProgress: (line) => process.stderr.write(`capture: ${line}\n`),
    });
  } catch (error) {
    if (error instanceof ProbeError) {
      process.stderr.write(`broken-mta: capture failed: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (flags.json) {
    const text = `${JSON.stringify(findings, null, 2)}\n`;
    if (flags.out) writeAtomically(flags.out, text, 0o644);
    else process.stdout.write(text);
    return 0;
  }
  const written = writeCapture(findings, { ...(flags.out ? { out: flags.out } : {}), ...(flags.keepHostnames ? { keepHostnames: true } : {}) });
  for (const note of written.notes) process.stderr.write(`note: ${note}\n`);
  process.stderr.write(`found: ${written.defects.length ? written.defects.join('; ') : 'no defect'}\n`);
  if (flags.out) process.stderr.write(`wrote ${written.files.join(' and ')}; serve it with: broken-mta --scenario ${flags.out}\n`);
  else process.stdout.write(written.text);
  return 0;
}

/** A capture's --json output, given as the text itself, a file, or - for stdin; undefined for a log line. */
export function readCapturedFindings(argument: string): Findings | undefined {
  const text = argument === '-' ? readFileSync(0, 'utf8') : argument.trimStart().startsWith('{') ? argument : /\.json$/i.test(argument) && existsSync(argument) ? readFileSync(argument, 'utf8') : undefined;
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CaptureUsageError(`not the JSON of \`broken-mta capture --json\`: ${(error as Error).message}`);
  }
  if (!isFindings(value)) throw new CaptureUsageError('not the JSON of `broken-mta capture --json` (no "capture" section)');
  return value;
}

/** `explain` for a capture: the catalogue scenarios the captured server resembles most. */
export function explainCapture(findings: Findings, count: number): number {
  const planned = planScenario(findings).scenario;
  const captured = { ...scenarioSchema.parse(planned), name: planned.name! };
  const matches = resemble(captured, catalogue(), count);
  if (!matches.length) {
    process.stderr.write("broken-mta: the captured server shares no defect with any catalogue scenario; `broken-mta capture` writes its own scenario\n");
    return 1;
  }
  for (const [index, match] of matches.entries()) {
    const same = match.onlyCaptured.length === 0 && match.onlyCatalogue.length === 0;
    console.log(`${index + 1}. ${match.scenario}: ${match.summary}`);
    console.log(`   ${same ? 'the same defects' : `resembles it (${Math.round(match.score * 100)}%)`}: ${match.shared.join(', ') || 'no defect'}`);
    if (match.onlyCaptured.length) console.log(`   only the captured server: ${match.onlyCaptured.join(', ')}`);
    if (match.onlyCatalogue.length) console.log(`   only ${match.scenario}: ${match.onlyCatalogue.join(', ')}`);
    console.log(`   run it: broken-mta --scenario ${match.scenario}`);
  }
  return 0;
}
