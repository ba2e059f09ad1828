// `npm run convert-symptoms -- FILE...`: rewrites a scenario page from the old prose
// symptoms ({ client, text }, { server: true, text }) and `expect:` blocks into claims, in
// place, keeping comments and the rest of the file. The result is a first draft: every text
// becomes `prints`, which the suite then checks against the real client; a line that
// fails shows what the client really prints, and commentary moves to `note` by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isSeq, parseDocument, YAMLMap, type Document } from 'yaml';

/** The invocations the old `expect:` blocks were written for, as settings of the new default. */
const OLD_MATRIX_SETTINGS: Record<string, Record<string, unknown>> = { openssl: { verify: true } };

function convertSymptom(item: YAMLMap, firstClient: string | undefined): YAMLMap {
  const client = item.get('client');
  const text = item.get('text');
  const converted = new YAMLMap();
  converted.flow = item.flow;
  if (item.get('server') === true) {
    converted.set('client', firstClient ?? 'openssl');
    converted.set('server', text);
  } else {
    converted.set('client', client);
    converted.set('prints', text);
  }
  return converted;
}

function convertExpect(client: string, expectation: YAMLMap): YAMLMap {
  const claim = new YAMLMap();
  claim.flow = true;
  claim.set('client', client);
  const settings = OLD_MATRIX_SETTINGS[client];
  if (settings) claim.set('with', settings);
  for (const pair of expectation.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    claim.set(key === 'output' ? 'prints' : key, pair.value);
  }
  return claim;
}

export function convertDocument(document: Document): boolean {
  const symptoms = document.get('symptoms');
  if (!isSeq(symptoms)) return false;
  let changed = false;
  const firstClient = symptoms.items.map((item) => (isMap(item) ? item.get('client') : undefined)).find((client) => typeof client === 'string') as string | undefined;
  symptoms.items = symptoms.items.map((item) => {
    if (!isMap(item) || !item.has('text')) return item;
    changed = true;
    return convertSymptom(item, firstClient);
  });
  const expect = document.get('expect');
  if (isMap(expect)) {
    for (const pair of expect.items) {
      if (isMap(pair.value)) symptoms.items.push(convertExpect(String((pair.key as { value?: unknown })?.value ?? pair.key), pair.value));
    }
    document.delete('expect');
    changed = true;
  }
  return changed;
}

export function convertFile(file: string): boolean {
  const document = parseDocument(readFileSync(file, 'utf8'));
  if (!convertDocument(document)) return false;
  writeFileSync(file, document.toString({ lineWidth: 0 }));
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    process.stderr.write('usage: npm run convert-symptoms -- scenarios/NAME.yaml ...\n');
    process.exit(2);
  }
  for (const file of files) process.stdout.write(`${file}: ${convertFile(file) ? 'converted; run npm test to check every line' : 'nothing to convert'}\n`);
}
