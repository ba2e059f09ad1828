// Turns a name, a file or an object into a validated Scenario. Every error names the
// file, the line and the field, in one line, so a user can jump straight to it.
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import type { z } from 'zod';
import { FAULTS } from '../faults/registry.js';
import { dhGroupFromFile } from '../tls/engine/groups.js';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CATALOGUE_DIR = join(PACKAGE_ROOT, 'scenarios');

export class ScenarioError extends Error {
  /** Bad input exits 2, as usage errors do. */
  readonly exitCode = 2;
}

export interface LoadedScenario {
  scenario: Scenario;
  /** The file it came from; undefined for an inline object. */
  file?: string;
}

function looksLikePath(reference: string): boolean {
  return reference.includes('/') || /\.ya?ml$/.test(reference);
}

export function catalogueNames(): string[] {
  return readdirSync(CATALOGUE_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

/** A catalogue name (`weak-dh`) or a path to a YAML file. */
export function loadScenario(reference: string): LoadedScenario {
  if (looksLikePath(reference)) return { scenario: loadScenarioFile(resolve(reference)), file: resolve(reference) };
  if (!catalogueNames().includes(reference)) {
    throw new ScenarioError(`unknown scenario "${reference}": \`broken-mta list\` shows the catalogue, or give a path to a .yaml file`);
  }
  const file = join(CATALOGUE_DIR, `${reference}.yaml`);
  return { scenario: loadScenarioFile(file), file };
}

export function loadScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ScenarioError(`${file}: cannot read the scenario file: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  return parseScenarioText(text, file);
}

export function parseScenarioText(text: string, file: string): Scenario {
  const { value, where } = parseYaml(text, file, scenarioSchema);
  return resolveFiles(value, dirname(file), where);
}

/** YAML text checked by a schema; every error names the file, the line and the field. */
export function parseYaml<S extends z.ZodType>(text: string, file: string, schema: S): { value: z.output<S>; where: (path: readonly PropertyKey[], message: string) => string } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntaxError = document.errors[0];
  if (syntaxError) {
    const { line, col } = lineCounter.linePos(syntaxError.pos[0]);
    throw new ScenarioError(`${file}:${line}:${col}: YAML syntax: ${syntaxError.message.split('\n')[0]}`);
  }
  const where = (path: readonly PropertyKey[], message: string) => `${file}:${locate(document, lineCounter, path)}: ${describePath(path)}: ${message}`;
  const result = schema.safeParse(document.toJS());
  if (result.success) return { value: result.data, where };
  const issue = mostSpecificIssue(result.error.issues);
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  throw new ScenarioError(where(path, issueMessage(issue)));
}

/**
 * The files a scenario names are read relative to its folder, and may not leave it (a
 * catalogue of shared scenarios must not read ../../etc/...). An absolute path is the user
 * naming a file on purpose, and is taken as it is. Symbolic links count where they lead.
 */
function resolveFiles(scenario: Scenario, folder: string, where: (path: readonly PropertyKey[], message: string) => string): Scenario {
  const dh = scenario.tls?.dh;
  if (typeof dh !== 'object') return scenario;
  const path = ['tls', 'dh', 'file'];
  const file = resolve(folder, dh.file);
  if (!isAbsolute(dh.file)) {
    let inside: boolean;
    try {
      inside = !relative(realpathSync(folder), realpathSync(file)).startsWith('..');
    } catch (error) {
      throw new ScenarioError(where(path, `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`));
    }
    if (!inside) throw new ScenarioError(where(path, `${dh.file} leaves the scenario's folder (${folder}); give an absolute path to use a file elsewhere`));
  }
  try {
    dhGroupFromFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ScenarioError(where(path, code ? `cannot read ${file}: ${code}` : `${file}: ${(error as Error).message}`));
  }
  return { ...scenario, tls: { ...scenario.tls!, dh: { file } } };
}

/** For a scenario given as an object (the API): same schema, errors name the field. */
export function parseScenarioObject(input: ScenarioInput | unknown): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (result.success) return resolveFiles(result.data, process.cwd(), (path, message) => `inline scenario: ${describePath(path)}: ${message}`);
  const issue = mostSpecificIssue(result.error.issues);
  throw new ScenarioError(`inline scenario: ${describePath(issue.path)}: ${issueMessage(issue)}`);
}

type Issue = z.core.$ZodIssue;

// A union failure lists what every branch disliked; the deepest path is the one that
// tells the user which key to fix.
function mostSpecificIssue(issues: readonly Issue[]): Issue {
  const flatten = (issue: Issue): Issue[] =>
    issue.code === 'invalid_union' && issue.errors.length > 0
      ? issue.errors.flat().map((inner) => ({ ...inner, path: [...issue.path, ...inner.path] }) as Issue).flatMap(flatten)
      : [issue];
  const all = issues.flatMap(flatten);
  return all.reduce((best, issue) => (issue.path.length > best.path.length ? issue : best), all[0]!);
}

function issueMessage(issue: Issue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator) {
    return `unknown ${String(issue.discriminator)} (known: ${knownFaults()})`;
  }
  if (issue.code === 'invalid_value' && issue.values.length > 0) {
    return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return issue.message;
}

function knownFaults(): string {
  return FAULTS.map((fault) => fault.name).join(', ');
}

function describePath(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(top level)';
}

/** The line of the deepest key or value the path still reaches. */
function locate(document: ReturnType<typeof parseDocument>, lineCounter: LineCounter, path: readonly PropertyKey[]): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = document.getIn(path.slice(0, depth - 1) as unknown[], true) ?? (depth === 1 ? document.contents : undefined);
    if (isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[depth - 1]);
      if (pair && isNode(pair.key) && pair.key.range) return lineCounter.linePos(pair.key.range[0]).line;
    }
    const node = document.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}
