// Turns a name, a file or an object into a validated Scenario. A file needs only its
// behaviour: its name is the file's own, and `extends:` starts it from another scenario.
// Every problem is reported at once, one a line, as file:line: field: message, so a user
// can jump straight to each.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { didYouMean } from '../suggest.js';
import { dhGroupFromFile } from '../tls/engine/groups.js';
import { builtScenario, CATALOGUE_DIR, catalogueNames, ScenarioError } from './catalogue.js';
import { describeIssues, type Location, type Path } from './problems.js';
import { scenarioSchema, type Scenario, type ScenarioInput } from './schema.js';
import { readYamlFile } from './yaml-file.js';

export { CATALOGUE_DIR, catalogueNames, PACKAGE_ROOT, ScenarioError } from './catalogue.js';

export interface LoadedScenario {
  scenario: Scenario;
  /** The file it came from; undefined for an inline object. */
  file?: string;
}

function looksLikePath(reference: string): boolean {
  return reference.includes('/') || /\.ya?ml$/.test(reference);
}

/** A catalogue name (`weak-dh`) or a path to a YAML file, and the file it came from. */
export function loadScenarioWithFile(reference: string): LoadedScenario {
  // Errors name the file as the user gave it.
  if (looksLikePath(reference)) return { scenario: loadScenarioFile(reference), file: resolve(reference) };
  if (!catalogueNames().includes(reference)) {
    throw new ScenarioError(`unknown scenario "${reference}"${didYouMean(reference, catalogueNames())}: \`broken-mta list\` shows the catalogue, or give a path to a .yaml file`);
  }
  const file = join(CATALOGUE_DIR, `${reference}.yaml`);
  return { scenario: builtScenario(reference) ?? loadScenarioFile(file), file };
}

export function loadScenarioFile(file: string): Scenario {
  return validate(readScenarioFile(file, []));
}

/** For a scenario given as an object (the API): the same rules, errors name the field. */
export function parseScenarioObject(input: ScenarioInput | unknown): Scenario {
  const where: Location = { where: 'inline scenario', depth: 0 };
  if (!isMap(input)) throw new ScenarioError('inline scenario: (top level): a scenario is an object of keys (smtp, tls, faults ...)');
  return validate(withBase({ data: { name: 'inline', ...input }, locate: () => where }, process.cwd(), []));
}

/** A scenario as written, with what it extends merged in, before validation. */
interface RawScenario {
  data: Record<string, unknown>;
  /** `file:line` of a path: in the file that has more of it, this one or the one it extends. */
  locate(path: Path): Location;
}

function readScenarioFile(file: string, chain: readonly string[]): RawScenario {
  const { data, locate: lineOf } = readYamlFile(file);
  if (!isMap(data)) throw new ScenarioError(`${file}:1: (top level): a scenario is a map of keys (smtp:, tls:, faults: ...)`);
  if ('sender' in data) throw new ScenarioError(`${file}: a sender scenario (it has a sender: section): run it with \`broken-mta send --scenario ${file} --to HOST:PORT\``);
  const locate = (path: Path): Location => {
    const { line, depth } = lineOf(path);
    return { where: `${file}:${line}`, depth };
  };
  return withBase({ data: { name: nameOf(file), ...data }, locate }, dirname(file), [...chain, realpathSync(file)]);
}

/** The name a file gives a scenario that does not name itself: its own, as a name may be spelt. */
function nameOf(file: string): string {
  const stem = basename(file).replace(/\.ya?ml$/, '').toLowerCase();
  return stem.replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'scenario';
}

/**
 * `extends: NAME|FILE`: the base's keys, overridden by this scenario's own. Maps merge key
 * by key; anything else, lists included (faults, symptoms), is replaced whole. The name is
 * never inherited. The base must be a valid scenario itself, and may not lead back here.
 */
function withBase(own: RawScenario, folder: string, chain: readonly string[]): RawScenario {
  const { extends: reference, ...data } = resolveOwnFiles(own, folder);
  if (reference === undefined) return { data, locate: own.locate };
  const where = `${own.locate(['extends']).where}: extends`;
  if (typeof reference !== 'string' || !reference) throw new ScenarioError(`${where}: give a catalogue name or a path to a .yaml file`);
  let file: string;
  if (looksLikePath(reference)) {
    file = fileInFolder(reference, folder, where);
  } else if (catalogueNames().includes(reference)) {
    file = join(CATALOGUE_DIR, `${reference}.yaml`);
  } else {
    throw new ScenarioError(`${where}: unknown scenario "${reference}"${didYouMean(reference, catalogueNames())}: give a catalogue name or a path to a .yaml file`);
  }
  if (chain.includes(realpathSync(file))) {
    throw new ScenarioError(`${where}: ${reference} extends, in the end, this file: a cycle (${[...chain, realpathSync(file)].map((f) => basename(f)).join(' → ')})`);
  }
  const base = readScenarioFile(file, chain);
  validate(base);
  const { name: _inheritedName, ...inherited } = base.data;
  return {
    data: merge(inherited, data),
    locate: (path) => {
      const mine = own.locate(path);
      const theirs = base.locate(path);
      return theirs.depth > mine.depth ? theirs : mine;
    },
  };
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = base[key];
    merged[key] = isMap(value) && isMap(under) ? merge(under, value) : value;
  }
  return merged;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A relative tls.dh.file, made absolute from this file's folder (where it must stay). */
function resolveOwnFiles(raw: RawScenario, folder: string): Record<string, unknown> {
  const tls = raw.data.tls;
  const dh = isMap(tls) ? tls.dh : undefined;
  if (!isMap(tls) || !isMap(dh) || typeof dh.file !== 'string' || !dh.file || isAbsolute(dh.file)) return raw.data;
  const file = fileInFolder(dh.file, folder, `${raw.locate(['tls', 'dh', 'file']).where}: tls.dh.file`);
  return { ...raw.data, tls: { ...tls, dh: { ...dh, file } } };
}

/**
 * The files a scenario names are read relative to its folder, and may not leave it (a
 * catalogue of shared scenarios must not read ../../etc/...). An absolute path is the user
 * naming a file on purpose, and is taken as it is. Symbolic links count where they lead.
 */
function fileInFolder(name: string, folder: string, where: string): string {
  const file = resolve(folder, name);
  if (isAbsolute(name)) return file;
  let inside: boolean;
  try {
    inside = !relative(realpathSync(folder), realpathSync(file)).startsWith('..');
  } catch (error) {
    throw new ScenarioError(`${where}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  if (!inside) throw new ScenarioError(`${where}: ${name} leaves the scenario's folder (${folder}); give an absolute path to use a file elsewhere`);
  return file;
}

function validate(raw: RawScenario): Scenario {
  const result = scenarioSchema.safeParse(raw.data);
  if (!result.success) throw new ScenarioError(describeIssues(result.error.issues, raw.data, raw.locate).join('\n'));
  const scenario = result.data as Scenario;
  const dh = scenario.tls?.dh;
  if (typeof dh === 'object') {
    try {
      dhGroupFromFile(dh.file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ScenarioError(`${raw.locate(['tls', 'dh', 'file']).where}: tls.dh.file: ${code ? `cannot read ${dh.file}: ${code}` : `${dh.file}: ${(error as Error).message}`}`);
    }
  }
  return scenario;
}
