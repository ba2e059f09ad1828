// The sender catalogue's files, their generated JSON schema, and what a user sees for a
// bad sender file: one line naming file, line and field, as for server scenarios.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScenarioWithFile as loadScenario, ScenarioError } from '../../src/scenario/load.js';
import { loadSenderScenario, SENDER_CATALOGUE_DIR, senderCatalogueNames } from '../../src/scenario/sender-load.js';
import { senderScenarioJsonSchema } from '../../src/scenario/write-json-schema.js';
import { RECEIVERS } from '../../src/scenario/sender-claims.js';
import { unsupportedSettings } from '../../src/sender/receivers.js';
import { receiverTable } from '../../src/sender/table.js';

describe('the sender catalogue', () => {
  it.each(senderCatalogueNames())('%s is valid, named after its file, with a whole page and claims about sendmail, Postfix and Exim', (name) => {
    const { scenario, file } = loadSenderScenario(name);
    expect(scenario.name).toBe(basename(file!, '.yaml'));
    expect(scenario.name).toMatch(/^sender-/);
    expect(scenario.summary).toBeTruthy();
    expect(scenario.imitates).toBeTruthy();
    for (const receiver of RECEIVERS) expect(scenario.symptoms.some((claim) => claim.receiver === receiver), receiver).toBe(true);
    // Each claim's settings have a counterpart in its receiver's configuration.
    for (const claim of scenario.symptoms) expect(unsupportedSettings(claim.receiver, claim.with), `${claim.receiver} ${JSON.stringify(claim.with)}`).toEqual([]);
    expect(scenario.fixes.some((fix) => /^Receiver/.test(fix))).toBe(true);
  });

  it('scenarios/senders/schema.json is generated from the zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(join(SENDER_CATALOGUE_DIR, 'schema.json'), 'utf8')).toBe(senderScenarioJsonSchema());
  });

  it("the README's table of Postfix and Exim as receivers is the one their claims make (receiverTable)", () => {
    const readme = readFileSync(join(SENDER_CATALOGUE_DIR, '..', '..', 'README.md'), 'utf8');
    const table = readme.split('<!-- receivers:start -->')[1]!.split('<!-- receivers:end -->')[0]!;
    expect(table.trim(), `paste this between the receivers markers:\n${receiverTable()}`).toBe(receiverTable());
  });

  it("the README's sender table lists exactly the sender files", () => {
    const readme = readFileSync(join(SENDER_CATALOGUE_DIR, '..', '..', 'README.md'), 'utf8');
    const table = readme.split('<!-- senders:start -->')[1]!.split('<!-- senders:end -->')[0]!;
    const listed = [...table.matchAll(/^\| `(sender-[a-z0-9-]+)` \|/gm)].map((row) => row[1]).sort();
    expect(listed).toEqual(senderCatalogueNames());
  });
});

const VALID = `name: sender-broken
summary: one line
imitates: something
symptoms:
  - { receiver: sendmail, logs: "oops" }
fixes:
  - "fix it"
sender:
  faults:
    - { fault: pregreet, on: CONNECT }
`;

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function fileWith(text: string): string {
  dir = mkdtempSync(join(tmpdir(), 'broken-mta-sender-scenario-'));
  const file = join(dir, 'sender-broken.yaml');
  writeFileSync(file, text);
  return file;
}

function errorOf(load: () => unknown, file: string): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message.replaceAll(file, 'FILE');
  }
  throw new Error('the file loaded although it is bad');
}

describe('a bad sender file names file, line and field', () => {
  it('the valid base loads', () => {
    expect(loadSenderScenario(fileWith(VALID)).scenario.sender.faults).toHaveLength(1);
  });

  it.each([
    ['an unknown fault, with the sender faults listed', VALID.replace('fault: pregreet', 'fault: explode'), /^FILE:10: sender\.faults\.0\.fault: unknown fault \(known: pregreet, pipeline, close, /],
    ['a fault at a step it cannot act at', VALID.replace('on: CONNECT', 'on: RCPT'), /^FILE:10: sender\.faults\.0\.on: must be one of "CONNECT"$/],
    ['a key of a server scenario', VALID.replace('sender:\n', 'smtp: {}\nsender:\n'), /^FILE:8: smtp: unknown key "smtp"$/],
    ['a claim that checks nothing', VALID.replace('logs: "oops"', 'note: "oops"'), /^FILE:5: symptoms\.0: says nothing to check: give one of logs, prints, /],
    ['a receiver setting no receiver knows', VALID.replace('logs: "oops"', 'logs: "oops", with: { starttls: off }'), /^FILE:5: symptoms\.0\.with\.starttls: /],
    ['SSLv3 with Node', VALID + '  tls: { versions: [SSLv3] }\n', /^FILE:11: sender\.tls\.versions: SSLv3 needs engine: scripted/],
    ['a suite the scripted client does not know', VALID + '  tls: { engine: scripted, versions: [TLSv1], ciphers: "RC4-SHA:NOPE-SHA" }\n', /^FILE:11: sender\.tls\.ciphers: no suite named NOPE-SHA/],
    ['the client-only when rule', VALID.replace('on: CONNECT }', 'on: CONNECT, client: 127.0.0.1 }'), /^FILE:10: sender\.faults\.0\.client: unknown key "client"$/],
  ])('%s', (_name, text, message) => {
    const file = fileWith(text);
    expect(errorOf(() => loadSenderScenario(file), file)).toMatch(message);
  });

  it('a server scenario given to send, and a sender scenario given to serve, say which command takes them', () => {
    const sender = fileWith(VALID);
    expect(errorOf(() => loadScenario(sender), sender)).toBe(`FILE: a sender scenario (it has a sender: section): run it with \`broken-mta send --scenario FILE --to HOST:PORT\``);
    const server = join(dir!, 'server.yaml');
    writeFileSync(server, 'name: srv\nsummary: s\nimitates: i\nsymptoms: [{ server: true, text: t }]\nfixes: [f]\ntls: { cert: valid }\n');
    expect(errorOf(() => loadSenderScenario(server), server)).toBe(`FILE: a server scenario (it has no sender: section): serve it with \`broken-mta --scenario FILE\``);
  });
});
