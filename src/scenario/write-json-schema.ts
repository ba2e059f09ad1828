// `npm run schema` regenerates scenarios/schema.json (and scenarios/senders/schema.json)
// for editors; a test fails when either is stale.
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { scenarioSchema } from './schema.js';
import { senderScenarioSchema } from './sender-schema.js';
import { SENDER_CATALOGUE_DIR } from './sender-load.js';
import { CATALOGUE_DIR } from './load.js';
import { join } from 'node:path';

export function scenarioJsonSchema(): string {
  return JSON.stringify(z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }), null, 2) + '\n';
}

export function senderScenarioJsonSchema(): string {
  return JSON.stringify(z.toJSONSchema(senderScenarioSchema, { io: 'input', unrepresentable: 'any' }), null, 2) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [file, text] of [
    [join(CATALOGUE_DIR, 'schema.json'), scenarioJsonSchema()],
    [join(SENDER_CATALOGUE_DIR, 'schema.json'), senderScenarioJsonSchema()],
  ] as const) {
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
