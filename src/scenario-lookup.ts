// Scenarios by name or file, for the command line: a catalogue scenario from the built
// catalogue (no yaml, no zod), anything else (a file, or a catalogue edited since its
// build) through the loader, which is loaded only then.
import { builtScenario, builtScenarios, catalogueNames } from './scenario/catalogue.js';
import type { Scenario } from './scenario/schema.js';

export async function scenarioOf(reference: string): Promise<Scenario> {
  return builtScenario(reference) ?? (await import('./scenario/load.js')).loadScenarioWithFile(reference).scenario;
}

/** Each scenario's name, in order; the first that does not load stops it. */
export async function namesOf(references: string[]): Promise<string[]> {
  const names: string[] = [];
  for (const reference of references) names.push((await scenarioOf(reference)).name);
  return names;
}

/** The whole catalogue, as scenarioOf reads each. */
export async function catalogue(): Promise<Scenario[]> {
  return builtScenarios() ?? Promise.all(catalogueNames().map(scenarioOf));
}
