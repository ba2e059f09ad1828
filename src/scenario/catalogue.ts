// The shipped catalogue as data. `npm run build` validates scenarios/*.yaml once and writes
// what they load to, with a fingerprint of the folder, to dist/catalogue.json
// (write-catalogue.ts); listing, showing or serving a catalogue scenario then reads that
// file and loads neither yaml nor zod. When the folder no longer matches the fingerprint
// (a checkout edited since its last build), the data is not used and the files are read.
// This module stays light: nothing here may import the loader, the schema or a library.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './schema.js';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CATALOGUE_DIR = join(PACKAGE_ROOT, 'scenarios');
export const BUILT_CATALOGUE = join(PACKAGE_ROOT, 'dist', 'catalogue.json');

export class ScenarioError extends Error {
  /** Bad input exits 2, as usage errors do. */
  readonly exitCode = 2;
}

export interface BuiltCatalogue {
  /** catalogueFingerprint() of the folder the scenarios were loaded from. */
  fingerprint: string;
  /** Each scenario as it loads, by name, in name order. */
  scenarios: Record<string, Scenario>;
  /** Each scenario's behaviour as `show` prints it (behaviour.ts). */
  behaviour: Record<string, string>;
}

export function catalogueNames(): string[] {
  return readdirSync(CATALOGUE_DIR)
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => basename(file, '.yaml'))
    .sort();
}

/** Every file of the folder a scenario may read, by name and content (schema.json is the editors'). */
export function catalogueFingerprint(): string {
  const hash = createHash('sha256');
  const add = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const name = `${prefix}${entry.name}`;
      if (entry.isDirectory()) add(join(dir, entry.name), `${name}/`);
      else if (name !== 'schema.json') hash.update(`${name}\0${readFileSync(join(dir, entry.name)).toString('base64')}\0`);
    }
  };
  add(CATALOGUE_DIR, '');
  return hash.digest('hex');
}

let built: BuiltCatalogue | null | undefined;

/** The built catalogue when it matches the folder; undefined when it is missing or stale. */
function freshCatalogue(): BuiltCatalogue | undefined {
  if (built === undefined) {
    try {
      const data = JSON.parse(readFileSync(BUILT_CATALOGUE, 'utf8')) as BuiltCatalogue;
      built = data.fingerprint === catalogueFingerprint() ? data : null;
    } catch {
      built = null;
    }
  }
  return built ?? undefined;
}

/** A catalogue scenario, validated when the package was built; undefined when that data cannot be trusted. */
export function builtScenario(name: string): Scenario | undefined {
  const scenarios = freshCatalogue()?.scenarios;
  // A copy: callers may change what they are given.
  return scenarios && Object.hasOwn(scenarios, name) ? structuredClone(scenarios[name]) : undefined;
}

/** A catalogue scenario's behaviour as YAML (behaviour.ts), or undefined as for builtScenario. */
export function builtBehaviour(name: string): string | undefined {
  const behaviour = freshCatalogue()?.behaviour;
  return behaviour && Object.hasOwn(behaviour, name) ? behaviour[name] : undefined;
}

/** Every catalogue scenario, in name order, or undefined as for builtScenario. */
export function builtScenarios(): Scenario[] | undefined {
  const catalogue = freshCatalogue();
  return catalogue ? Object.values(structuredClone(catalogue.scenarios)) : undefined;
}
