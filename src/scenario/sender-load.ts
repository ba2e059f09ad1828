// Sender scenarios by name, file or object, with the same errors as server scenarios: every
// problem at once, one a line, as file:line: field: message. The catalogue's senders live
// in scenarios/senders/.
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { SENDER_FAULTS } from '../sender/faults/registry.js';
import { didYouMean } from '../suggest.js';
import { CATALOGUE_DIR, ScenarioError } from './load.js';
import { describeIssues, type Location, type Path, type Vocabulary } from './problems.js';
import { senderScenarioSchema, type SenderScenario, type SenderScenarioInput } from './sender-schema.js';
import { readYamlFile } from './yaml-file.js';

export const SENDER_CATALOGUE_DIR = join(CATALOGUE_DIR, 'senders');

const SENDER_VOCABULARY: Vocabulary = { schema: senderScenarioSchema, faults: SENDER_FAULTS.map((fault) => fault.name) };

const looksLikePath = (reference: string) => reference.includes('/') || /\.ya?ml$/.test(reference);

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
  if (!looksLikePath(reference)) return senderCatalogueNames().includes(reference);
  try {
    return /^sender:/m.test(readFileSync(resolve(reference), 'utf8'));
  } catch {
    return false;
  }
}

/** A catalogue name (`sender-pregreet`) or a path to a YAML file. */
export function loadSenderScenario(reference: string): LoadedSenderScenario {
  if (!looksLikePath(reference) && !senderCatalogueNames().includes(reference)) {
    throw new ScenarioError(`unknown sender scenario "${reference}"${didYouMean(reference, senderCatalogueNames())}: \`broken-mta list --senders\` shows them, or give a path to a .yaml file`);
  }
  const file = looksLikePath(reference) ? resolve(reference) : join(SENDER_CATALOGUE_DIR, `${reference}.yaml`);
  const { data, locate: lineOf } = readYamlFile(file);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new ScenarioError(`${file}:1: (top level): a sender scenario is a map of keys (sender: ...)`);
  if (!('sender' in data)) {
    throw new ScenarioError(`${file}: a server scenario (it has no sender: section): serve it with \`broken-mta --scenario ${reference}\``);
  }
  const locate = (path: Path): Location => ({ where: `${file}:${lineOf(path).line}`, depth: 0 });
  // A file that does not name itself is named after the file, as a server scenario is.
  const named = { name: basename(file).replace(/\.ya?ml$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-'), ...data };
  return { scenario: validate(named, locate), file };
}

/** For a sender scenario given as an object (the API): the same schema and errors. */
export function parseSenderScenarioObject(input: SenderScenarioInput | unknown): SenderScenario {
  const where: Location = { where: 'inline sender scenario', depth: 0 };
  return validate(typeof input === 'object' && input !== null ? { name: 'sender-inline', ...input } : input, () => where);
}

function validate(data: unknown, locate: (path: Path) => Location): SenderScenario {
  const result = senderScenarioSchema.safeParse(data);
  if (!result.success) throw new ScenarioError(describeIssues(result.error.issues, data, locate, SENDER_VOCABULARY).join('\n'));
  return result.data;
}
