// `npm run build` ends here: every catalogue scenario, validated once, written as data to
// dist/catalogue.json for catalogue.ts to read. A test fails when the file is stale.
import { writeFileSync } from 'node:fs';
import { BUILT_CATALOGUE, CATALOGUE_DIR, catalogueFingerprint, catalogueNames, type BuiltCatalogue } from './catalogue.js';
import { join } from 'node:path';
import { behaviourYaml } from './behaviour.js';
import { loadScenarioFile } from './load.js';

/** What dist/catalogue.json holds for the folder as it is now. */
export function builtCatalogue(): BuiltCatalogue {
  const scenarios: BuiltCatalogue['scenarios'] = {};
  const behaviour: BuiltCatalogue['behaviour'] = {};
  for (const name of catalogueNames()) {
    const scenario = loadScenarioFile(join(CATALOGUE_DIR, `${name}.yaml`));
    // A file a scenario names is kept by its absolute path, which is this machine's: such a
    // scenario is read from its file wherever it runs.
    if (typeof scenario.tls?.dh === 'object') continue;
    scenarios[name] = scenario;
    behaviour[name] = behaviourYaml(scenario);
  }
  // As JSON has it: what a reader gets back is exactly what is compared in the test.
  return JSON.parse(JSON.stringify({ fingerprint: catalogueFingerprint(), scenarios, behaviour })) as BuiltCatalogue;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  writeFileSync(BUILT_CATALOGUE, JSON.stringify(builtCatalogue()) + '\n');
  console.log(`wrote ${BUILT_CATALOGUE}`);
}
