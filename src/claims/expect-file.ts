// `broken-mta matrix --expect FILE`: a client developer's own expectations, keyed by
// scenario name, each in the shape of a claim without its client (the command is theirs):
//
//   weak-dh: { tls: failed, alert: 40, prints: "dh key too small" }
//   greylist:
//     - { exit: 1, prints: "450 4.2.0" }
//     - { delivered: false }
//
// Checked like a scenario file: every problem at once, each as file:line: field: message.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ScenarioError } from '../scenario/load.js';
import { describeIssues, locateIn, type Path } from '../scenario/problems.js';
import { didYouMean } from '../suggest.js';
import { expectationSchema, type Expectation } from './claim.js';

const expectFileSchema = z.record(z.string(), z.union([expectationSchema, z.array(expectationSchema).min(1)]));

/** The expectations of FILE for the scenarios of this run; a name not among them is an error. */
export function loadExpectFile(file: string, scenarioNames: readonly string[]): Map<string, Expectation[]> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`--expect ${file}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length) {
    throw new ScenarioError(
      document.errors.map((error) => `${file}:${lineCounter.linePos(error.pos[0]).line}:${lineCounter.linePos(error.pos[0]).col}: YAML syntax: ${error.message.split('\n')[0]}`).join('\n'),
    );
  }
  const data: unknown = document.toJS() ?? {};
  const locate = (path: Path) => ({ where: `${file}:${locateIn(document, lineCounter, path).line}`, depth: path.length });
  const result = expectFileSchema.safeParse(data);
  const problems = result.success ? [] : describeIssues(result.error.issues, data, locate);
  const entries = result.success ? Object.entries(result.data) : [];
  for (const [name] of entries) {
    if (!scenarioNames.includes(name)) problems.push(`${locate([name]).where}: ${name}: no scenario of that name in this run${didYouMean(name, scenarioNames)}`);
  }
  if (problems.length) throw new ScenarioError(problems.join('\n'));
  return new Map(entries.map(([name, entry]) => [name, [entry].flat()]));
}
