// The catalogue's files, the generated JSON schema, and what a user sees for a bad file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_DIR, catalogueNames, loadScenario, parseScenarioObject, ScenarioError } from '../src/scenario/load.js';
import { scenarioJsonSchema } from '../src/scenario/write-json-schema.js';

describe('the catalogue', () => {
  it.each(catalogueNames())('%s is valid and named after its file', (name) => {
    const { scenario, file } = loadScenario(name);
    expect(scenario.name).toBe(basename(file!, '.yaml'));
    expect(scenario.symptoms.length).toBeGreaterThan(0);
    expect(scenario.fixes.length).toBeGreaterThan(0);
  });

  it('the README catalogue lists exactly the scenario files', () => {
    const readme = readFileSync(join(CATALOGUE_DIR, '..', 'README.md'), 'utf8');
    const table = readme.split('<!-- catalogue:start -->')[1]!.split('<!-- catalogue:end -->')[0]!;
    const listed = [...table.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((row) => row[1]).sort();
    expect(listed).toEqual(catalogueNames());
  });

  it('scenarios/schema.json is generated from the zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(join(CATALOGUE_DIR, 'schema.json'), 'utf8')).toBe(scenarioJsonSchema());
  });
});

const VALID = `name: broken
summary: one line
imitates: something
symptoms:
  - { client: openssl, text: "oops" }
fixes:
  - "fix it"
tls:
  cert: valid
`;

function loadText(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'broken-mta-scenario-'));
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, text);
  try {
    loadScenario(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message.replace(file, 'FILE');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error('the file loaded although it is bad');
}

describe('a bad scenario file names file, line and field', () => {
  it('accepts the valid base used below', () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-scenario-'));
    writeFileSync(join(dir, 'ok.yaml'), VALID);
    expect(loadScenario(join(dir, 'ok.yaml')).scenario.name).toBe('broken');
  });

  it('YAML syntax', () => {
    expect(loadText(VALID + 'faults: [\n')).toMatch(/^FILE:\d+:\d+: YAML syntax: /);
  });

  it('an unknown key, at its own line', () => {
    expect(loadText(VALID.replace('  cert: valid', '  cert: valid\n  certs: expired'))).toBe('FILE:10: tls.certs: unknown key "certs"');
  });

  it('a wrong type', () => {
    expect(loadText(VALID.replace('fixes:\n  - "fix it"', 'fixes: "fix it"'))).toMatch(/^FILE:6: fixes: .*array/);
  });

  it('an unknown certificate profile', () => {
    expect(loadText(VALID.replace('cert: valid', 'cert: shiny'))).toMatch(/^FILE:9: tls\.cert: must be one of "valid", /);
  });

  it('an unknown fault', () => {
    expect(loadText(VALID + 'faults:\n  - { fault: explode, on: RCPT }\n')).toMatch(/^FILE:11: faults\.0\.fault: unknown fault \(known: reply, /);
  });

  it('an out-of-range reply code', () => {
    expect(loadText(VALID + 'faults:\n  - fault: reply\n    on: RCPT\n    reply: "650 nope"\n')).toBe(
      'FILE:13: faults.0.reply: "650 nope" is not an SMTP reply (a code from 200 to 599, a space, text)',
    );
  });

  it('a bad regular expression', () => {
    expect(loadText(VALID + 'faults:\n  - fault: reply\n    on: RCPT\n    match: "(unclosed"\n    reply: "550 no"\n')).toMatch(
      /^FILE:13: faults\.0\.match: not a regular expression: /,
    );
  });

  it('a fault at a step it does not act at', () => {
    expect(loadText(VALID + 'faults:\n  - { fault: abort-close, on: RCPT }\n')).toMatch(/^FILE:11: faults\.0\.on: must be one of "TLS"/);
  });

  it('a missing required field', () => {
    expect(loadText(VALID.replace('imitates: something\n', ''))).toMatch(/^FILE:1: imitates: /);
  });

  it('an inline scenario object gets the same checks', () => {
    expect(() => parseScenarioObject({ name: 'x', summary: 's', imitates: 'i', symptoms: [], fixes: ['f'] })).toThrow(
      /inline scenario: symptoms: /,
    );
  });
});

describe('the scripted engine\'s keys', () => {
  it('a DH group for Node\'s TLS names the key and the engine it needs', () => {
    expect(loadText(VALID.replace('  cert: valid', '  cert: valid\n  dh: 512'))).toBe('FILE:10: tls.dh: the DH group 512 needs engine: scripted (Node serves only dh: auto)');
  });

  it('SSLv3, a script, an unknown suite, a size that is not served', () => {
    expect(loadText(VALID.replace('  cert: valid', '  cert: valid\n  versions: [SSLv3]'))).toMatch(/^FILE:10: tls\.versions: SSLv3 needs engine: scripted/);
    expect(loadText(VALID.replace('  cert: valid', '  cert: valid\n  script: { corrupt: finished }'))).toMatch(/^FILE:10: tls\.script: a handshake script needs engine: scripted/);
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: ECDHE-RSA-AES128-GCM-SHA256'))).toMatch(/^FILE:10: tls\.ciphers: engine: scripted has no suite ECDHE-RSA-AES128-GCM-SHA256/);
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  dh: 4096'))).toMatch(/^FILE:10: tls\.dh: /);
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  script: { alertAfter: { step: Hello, alert: 40 } }'))).toMatch(/^FILE:10: tls\.script\.alertAfter\.step: must be one of "ClientHello"/);
  });
});

describe('certificate settings each engine can serve', () => {
  it('the scripted engine takes no SNI fallback, no staple, no ECDSA key; a staple needs an issuer', () => {
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  sniFallback: wrong-host'))).toMatch(/^FILE:10: tls\.sniFallback: engine: scripted serves one certificate/);
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  staple: ocsp'))).toMatch(/^FILE:10: tls\.staple: engine: scripted does not staple/);
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  cert: ecdsa-p256'))).toMatch(/^FILE:\d+: tls\.cert: engine: scripted signs with RSA only \(DHE_RSA suites\); ecdsa-p256 has an ec-p256 key/);
    expect(loadText(VALID.replace('  cert: valid', '  cert: self-signed\n  staple: ocsp'))).toMatch(/^FILE:\d+: tls\.staple: self-signed signs itself: no issuer answers OCSP for it/);
    expect(loadText(VALID.replace('  cert: valid', '  cert: valid\n  staple: crl'))).toMatch(/^FILE:\d+: tls\.staple: /);
  });
});

describe('files a scenario names stay in its folder', () => {
  const dhParams = () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-dh-'));
    const pem = join(dir, 'dh512.pem');
    writeFileSync(pem, execFileSync('openssl', ['dhparam', '512'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    mkdirSync(join(dir, 'scenarios'));
    return { dir, pem };
  };
  const withDh = (file: string) => VALID.replace('  cert: valid', `  engine: scripted\n  dh: { file: "${file}" }`);

  it('a relative path that leaves the folder is refused, by file, line and field', () => {
    const { dir } = dhParams();
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh('../dh512.pem'));
    expect(() => loadScenario(file)).toThrow(`${file}:10: tls.dh.file: ../dh512.pem leaves the scenario's folder (${join(dir, 'scenarios')}); give an absolute path to use a file elsewhere`);
  });

  it('a symbolic link out of the folder counts where it leads', () => {
    const { dir, pem } = dhParams();
    symlinkSync(pem, join(dir, 'scenarios', 'link.pem'));
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh('link.pem'));
    expect(() => loadScenario(file)).toThrow(/tls\.dh\.file: link\.pem leaves the scenario's folder/);
  });

  it('an absolute path is the user\'s own choice, and is read; a file beside the scenario too', () => {
    const { dir, pem } = dhParams();
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh(pem));
    expect(loadScenario(file).scenario.tls?.dh).toEqual({ file: pem });
    writeFileSync(join(dir, 'scenarios', 'beside.pem'), execFileSync('cat', [pem]));
    writeFileSync(file, withDh('beside.pem'));
    expect(loadScenario(file).scenario.tls?.dh).toEqual({ file: join(dir, 'scenarios', 'beside.pem') });
  });

  it('a missing file and a file that is not DH parameters', () => {
    const { dir } = dhParams();
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh('missing.pem'));
    expect(() => loadScenario(file)).toThrow(/:10: tls\.dh\.file: cannot read .*missing\.pem: ENOENT$/);
    writeFileSync(file, withDh('mine.yaml'));
    expect(() => loadScenario(file)).toThrow(/:10: tls\.dh\.file: .*not a PEM file of DH parameters/);
  });
});

