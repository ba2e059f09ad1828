// `npm run convert-symptoms -- FILE...`: rewrites a scenario page from the old prose
// symptoms ({ client, text }, { server: true, text }) and `expect:` blocks into claims, in
// place. Only the keys change (edits at their offsets), so comments, quoting and layout
// stay as they were. The result is a first draft: every text becomes `prints`, which the
// suite then checks against the real client; a line that fails shows what the client
// really prints, and commentary moves to `note` by hand.
import { readFileSync, writeFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument, stringify, type Pair, type YAMLMap } from 'yaml';

/** The invocations the old `expect:` blocks were written for, as settings of the new default. */
const OLD_MATRIX_SETTINGS: Record<string, Record<string, unknown>> = { openssl: { verify: true } };

interface Edit {
  start: number;
  end: number;
  text: string;
}

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((pair) => isScalar(pair.key) && pair.key.value === key);
}

/** The edits that turn one old symptom into a claim. */
function symptomEdits(item: YAMLMap, firstClient: string): Edit[] {
  const text = pairOf(item, 'text');
  if (!text || !isScalar(text.key) || !text.key.range) return [];
  const server = pairOf(item, 'server');
  if (server && isScalar(server.key) && server.key.range && isScalar(server.value) && server.value.range) {
    return [
      { start: server.key.range[0], end: server.value.range[1], text: `client: ${firstClient}` },
      { start: text.key.range[0], end: text.key.range[1], text: 'server' },
    ];
  }
  return [{ start: text.key.range[0], end: text.key.range[1], text: 'prints' }];
}

function expectClaims(expect: YAMLMap): string[] {
  return expect.items.flatMap((pair) => {
    if (!isScalar(pair.key) || !isMap(pair.value)) return [];
    const client = String(pair.key.value);
    const fields = Object.fromEntries(Object.entries(pair.value.toJSON() as Record<string, unknown>).map(([key, value]) => [key === 'output' ? 'prints' : key, value]));
    const claim = { client, ...(OLD_MATRIX_SETTINGS[client] ? { with: OLD_MATRIX_SETTINGS[client] } : {}), ...fields };
    return [`  - ${stringify(claim, { collectionStyle: 'flow', lineWidth: 0 }).trim()}`];
  });
}

/** The page converted, or undefined when there is nothing to convert. */
export function convertText(text: string): string | undefined {
  const document = parseDocument(text);
  const symptoms = document.get('symptoms', true);
  if (!isSeq(symptoms)) return undefined;
  const maps = symptoms.items.filter(isMap);
  const firstClient = maps.map((item) => item.get('client')).find((client): client is string => typeof client === 'string') ?? 'openssl';
  const edits = maps.flatMap((item) => symptomEdits(item, firstClient));
  const expect = document.contents && isMap(document.contents) ? pairOf(document.contents, 'expect') : undefined;
  if (expect && isScalar(expect.key) && expect.key.range && isMap(expect.value) && expect.value.range && symptoms.range) {
    // The old block goes; its entries join the end of the symptoms list.
    const lineStart = text.lastIndexOf('\n', expect.key.range[0] - 1) + 1;
    edits.push({ start: lineStart, end: expect.value.range[2], text: '' });
    const after = text.lastIndexOf('\n', symptoms.range[1] - 1) + 1;
    edits.push({ start: after, end: after, text: expectClaims(expect.value).map((line) => `${line}\n`).join('') });
  }
  if (edits.length === 0) return undefined;
  return edits.sort((a, b) => b.start - a.start).reduce((result, edit) => result.slice(0, edit.start) + edit.text + result.slice(edit.end), text);
}

export function convertFile(file: string): boolean {
  const converted = convertText(readFileSync(file, 'utf8'));
  if (converted === undefined) return false;
  writeFileSync(file, converted);
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
