// `broken-mta matrix --expect FILE`: a client developer's own expectations, keyed by
// scenario name, each in the shape of a claim without its client (the command is theirs):
//
//   weak-dh: { tls: failed, alert: 40, prints: "dh key too small" }
//   greylist:
//     - { exit: 1, prints: "450 4.2.0" }
//     - { delivered: false }
//
// Checked like a scenario file: every error names the file, the line and the field.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseYaml, ScenarioError } from '../scenario/load.js';
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
  const { value, where } = parseYaml(text ?? '', file, expectFileSchema.nullable());
  const expectations = new Map<string, Expectation[]>();
  for (const [name, entry] of Object.entries(value ?? {})) {
    if (!scenarioNames.includes(name)) throw new ScenarioError(where([name], `no scenario of that name in this run (it has ${scenarioNames.length} scenarios; see \`broken-mta list\`)`));
    expectations.set(name, [entry].flat());
  }
  return expectations;
}
