// Sender scenarios by name, file or object, with the same one-line errors as server
// scenarios (file, line and field). The catalogue's senders live in scenarios/senders/.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SENDER_FAULTS } from '../sender/faults/registry.js';
import { CATALOGUE_DIR, describePath, issueMessage, mostSpecificIssue, parseYaml, ScenarioError } from './load.js';
import { senderScenarioSchema, type SenderScenario, type SenderScenarioInput } from './sender-schema.js';

export const SENDER_CATALOGUE_DIR = join(CATALOGUE_DIR, 'senders');

const faultNames = () => SENDER_FAULTS.map((fault) => fault.name).join(', ');

export function senderCatalogueNames(): string[] {
  return readdirSync(SENDER_CATALOGUE_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

export interface LoadedSenderScenario {
  scenario: SenderScenario;
  file?: string;
}

/** Whether a name or file given to `show` is a sender scenario (by name, or by its sender: key). */
export function isSenderReference(reference: string): boolean {
  if (!(reference.includes('/') || /\.ya?ml$/.test(reference))) return senderCatalogueNames().includes(reference);
  try {
    return /^sender:/m.test(readFileSync(resolve(reference), 'utf8'));
  } catch {
    return false;
  }
}

/** A catalogue name (`sender-pregreet`) or a path to a YAML file. */
export function loadSenderScenario(reference: string): LoadedSenderScenario {
  const isPath = reference.includes('/') || /\.ya?ml$/.test(reference);
  if (!isPath && !senderCatalogueNames().includes(reference)) {
    throw new ScenarioError(`unknown sender scenario "${reference}": \`broken-mta list\` shows them under "senders", or give a path to a .yaml file`);
  }
  const file = isPath ? resolve(reference) : join(SENDER_CATALOGUE_DIR, `${reference}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`${file}: cannot read the scenario file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!/^sender:/m.test(text) && /^(smtp|tls|faults):/m.test(text)) {
    throw new ScenarioError(`${file}: a server scenario (it has no sender: section): serve it with \`broken-mta --scenario ${reference}\``);
  }
  return { scenario: parseYaml(text, file, senderScenarioSchema, faultNames()).data, file };
}

/** For a sender scenario given as an object (the API): the same schema and errors. */
export function parseSenderScenarioObject(input: SenderScenarioInput | unknown): SenderScenario {
  const result = senderScenarioSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = mostSpecificIssue(result.error.issues);
  throw new ScenarioError(`inline sender scenario: ${describePath(issue.path)}: ${issueMessage(issue, faultNames())}`);
}
