// `npm run schema` regenerates scenarios/schema.json for editors; a test fails when stale.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { scenarioSchema } from './schema.js';
import { CATALOGUE_DIR } from './load.js';
import { join } from 'node:path';

export function scenarioJsonSchema(): string {
  return JSON.stringify(z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }), null, 2) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = join(CATALOGUE_DIR, 'schema.json');
  writeFileSync(file, scenarioJsonSchema());
  console.log(`wrote ${file}`);
}
