// The catalogue's files, the generated JSON schema, and what a user sees for a bad file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOGUE_DIR, catalogueNames, loadScenarioWithFile, parseScenarioObject, ScenarioError } from '../src/scenario/load.js';
import { BUILT_CATALOGUE } from '../src/scenario/catalogue.js';
import { builtCatalogue } from '../src/scenario/write-catalogue.js';
import { scenarioJsonSchema } from '../src/scenario/write-json-schema.js';
import { tempDir } from './support/temp.js';

describe('the catalogue', () => {
  it.each(catalogueNames())('%s is valid, named after its file, and has its whole page: summary, imitates, symptoms, fixes', (name) => {
    const { scenario, file } = loadScenarioWithFile(name);
    expect(scenario.name).toBe(basename(file!, '.yaml'));
    // The schema asks only for behaviour (a user's own file needs no more); the catalogue's pages need all of this.
    expect(scenario.summary).toMatch(/\S/);
    expect(scenario.imitates).toMatch(/\S/);
    expect(scenario.symptoms.length).toBeGreaterThan(0);
    expect(scenario.fixes.length).toBeGreaterThan(0);
  });

  it('the README catalogue lists exactly the scenario files', () => {
    const readme = readFileSync(join(CATALOGUE_DIR, '..', 'README.md'), 'utf8');
    const table = readme.split('<!-- catalogue:start -->')[1]!.split('<!-- catalogue:end -->')[0]!;
    const listed = [...table.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((row) => row[1]).sort();
    expect(listed).toEqual(catalogueNames());
  });

  it('dist/catalogue.json is the catalogue as it loads now, validated (`npm run build` writes it)', () => {
    expect(JSON.parse(readFileSync(BUILT_CATALOGUE, 'utf8'))).toEqual(builtCatalogue());
  });

  it('scenarios/schema.json is generated from the zod schema (run `npm run schema` when this fails)', () => {
    expect(readFileSync(join(CATALOGUE_DIR, 'schema.json'), 'utf8')).toBe(scenarioJsonSchema());
  });
});

const VALID = `name: broken
summary: one line
imitates: something
symptoms:
  - { client: openssl, prints: "oops" }
fixes:
  - "fix it"
tls:
  cert: valid
`;

function loadText(text: string): string {
  const dir = tempDir('scenario');
  const file = join(dir, 'broken.yaml');
  writeFileSync(file, text);
  try {
    loadScenarioWithFile(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message.replaceAll(file, 'FILE');
  }
  throw new Error('the file loaded although it is bad');
}

describe('a bad scenario file names file, line and field', () => {
  it('accepts the valid base used below', () => {
    const dir = tempDir('scenario');
    writeFileSync(join(dir, 'ok.yaml'), VALID);
    expect(loadScenarioWithFile(join(dir, 'ok.yaml')).scenario.name).toBe('broken');
  });

  it('YAML syntax', () => {
    expect(loadText(VALID + 'faults: [\n')).toMatch(/^FILE:\d+:\d+: YAML syntax: /);
  });

  it('an unknown key, at its own line', () => {
    expect(loadText(VALID.replace('  cert: valid', '  cert: valid\n  certs: expired'))).toBe('FILE:10: tls.certs: unknown key "certs" (did you mean "cert"?)');
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
    // imitates, symptoms and fixes are the catalogue's to have (see above), not every file's.
    expect(loadText(VALID + 'faults:\n  - { fault: reply, reply: "550 no" }\n')).toMatch(/^FILE:11: faults\.0\.on: /);
  });

  it('an inline scenario object gets the same checks', () => {
    expect(() => parseScenarioObject({ name: 'x', summary: 's', imitates: 'i', symptoms: [], fixes: 'f' })).toThrow(
      /inline scenario: fixes: /,
    );
  });
});

describe('claims: a symptom is something a program checks', () => {
  const withSymptom = (line: string) => VALID.replace('  - { client: openssl, prints: "oops" }', line);

  it('a setting its client cannot express is refused at that field', () => {
    expect(loadText(withSymptom('  - { client: openssl, with: { dhBits: 512 }, prints: "x" }'))).toBe(
      'FILE:5: symptoms.0.with.dhBits: openssl cannot be run with dhBits (it takes tls, verify, verifyHostname, securityLevel, version, ciphers, legacyRenegotiation, clientCert, sni, rsaOnly, verifyDepth, oldTrustStore, crl, requestStaple, timeout, sendMail, bdat, to)',
    );
  });

  it('an unknown setting and an unknown client', () => {
    expect(loadText(withSymptom('  - { client: openssl, with: { insecure: true }, prints: "x" }'))).toMatch(/^FILE:5: symptoms\.0\.with\.insecure: unknown key "insecure"/);
    expect(loadText(withSymptom('  - { client: outlook, prints: "x" }'))).toMatch(/^FILE:5: symptoms\.0\.client: must be one of "openssl", "gnutls", "swaks", "nodemailer", "sendmail", "smtplib"/);
  });

  it('a claim with nothing to check, and commentary alone, are refused', () => {
    expect(loadText(withSymptom('  - { client: openssl, note: "it fails, somehow" }'))).toMatch(/^FILE:5: symptoms\.0: says nothing to check: give one of prints, logs, server, exit, delivered, tls, alert, serverAlert/);
  });

  it('logs are for clients with a log of their own', () => {
    expect(loadText(withSymptom('  - { client: swaks, logs: "x" }'))).toBe('FILE:5: symptoms.0.logs: swaks writes no log of its own: use prints');
  });

  it('a page in the old format says how to convert it', () => {
    expect(loadText(withSymptom('  - { client: openssl, text: "oops" }'))).toMatch(/^FILE:5: symptoms\.0\.text: `text` is now `prints` .*`npm run convert-symptoms -- FILE` converts an old page/);
  });

  it('convert-symptoms turns an old page (symptoms with text, server lines, expect blocks) into one that loads, keeping the rest as it was', () => {
    const dir = tempDir('scenario');
    const file = join(dir, 'old.yaml');
    const old = VALID.replace('  - { client: openssl, prints: "oops" }', '  - { client: openssl, text: "oops" }\n  - { server: true, text: "TLS failed" }') + '# the end\nexpect:\n  openssl: { tls: failed, alert: 40, output: "dh key too small" }\n  swaks: { delivered: false }\n';
    writeFileSync(file, old);
    const result = execFileSync('node', [join(CATALOGUE_DIR, '..', 'dist', 'claims', 'convert.js'), file], { encoding: 'utf8' });
    expect(result).toContain('converted');
    const converted = readFileSync(file, 'utf8');
    expect(converted).toContain('  - { client: openssl, prints: "oops" }\n  - { client: openssl, server: "TLS failed" }\n');
    expect(converted).toContain('# the end\n');
    expect(loadScenarioWithFile(file).scenario.symptoms).toEqual([
      { client: 'openssl', prints: 'oops' },
      { client: 'openssl', server: 'TLS failed' },
      { client: 'openssl', with: { verify: true }, tls: 'failed', alert: 40, prints: 'dh key too small' },
      { client: 'swaks', delivered: false },
    ]);
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

  it('names the engine\'s suites with their key exchange; refuses suites no served version can choose, and a script at a step static RSA never takes', () => {
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: RC4-SHA:ECDHE-RSA-RC4-SHA'))).toMatch(
      /^FILE:10: tls\.ciphers: engine: scripted has no suite ECDHE-RSA-RC4-SHA \(it has DHE_RSA: .*EDH-RSA-DES-CBC3-SHA.*; static RSA: .*RC4-SHA, RC4-MD5, NULL-SHA256/,
    );
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: NULL-SHA256\n  versions: [TLSv1, TLSv1.1]'))).toBe(
      'FILE:10: tls.ciphers: no suite here can be chosen at TLSv1, TLSv1.1 (GCM and SHA-256 suites need TLSv1.2; export suites TLSv1)',
    );
    const loads = (text: string) => {
      const file = join(tempDir('scenario'), 'fine.yaml');
      writeFileSync(file, text);
      return loadScenarioWithFile(file).scenario.tls;
    };
    expect(loads(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: EXP-EDH-RSA-DES-CBC-SHA'))).toMatchObject({ ciphers: 'EXP-EDH-RSA-DES-CBC-SHA' });
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: EXP-EDH-RSA-DES-CBC-SHA\n  versions: [TLSv1.2]'))).toMatch(/^FILE:10: tls\.ciphers: no suite here can be chosen at TLSv1\.2/);
    expect(loadText(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: AES128-SHA\n  script: { corrupt: ske-signature }'))).toBe(
      'FILE:11: tls.script: static RSA sends no ServerKeyExchange: the script would never act',
    );
    expect(loads(VALID.replace('  cert: valid', '  engine: scripted\n  ciphers: AES128-SHA:DHE-RSA-AES128-SHA\n  script: { stopAfter: ServerKeyExchange }'))).toMatchObject({ script: { stopAfter: 'ServerKeyExchange' } });
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
    const dir = tempDir('dh');
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
    expect(() => loadScenarioWithFile(file)).toThrow(`${file}:10: tls.dh.file: ../dh512.pem leaves the scenario's folder (${join(dir, 'scenarios')}); give an absolute path to use a file elsewhere`);
  });

  it('a symbolic link out of the folder counts where it leads', () => {
    const { dir, pem } = dhParams();
    symlinkSync(pem, join(dir, 'scenarios', 'link.pem'));
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh('link.pem'));
    expect(() => loadScenarioWithFile(file)).toThrow(/tls\.dh\.file: link\.pem leaves the scenario's folder/);
  });

  it('an absolute path is the user\'s own choice, and is read; a file beside the scenario too', () => {
    const { dir, pem } = dhParams();
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh(pem));
    expect(loadScenarioWithFile(file).scenario.tls?.dh).toEqual({ file: pem });
    writeFileSync(join(dir, 'scenarios', 'beside.pem'), execFileSync('cat', [pem]));
    writeFileSync(file, withDh('beside.pem'));
    expect(loadScenarioWithFile(file).scenario.tls?.dh).toEqual({ file: join(dir, 'scenarios', 'beside.pem') });
  });

  it('a missing file and a file that is not DH parameters', () => {
    const { dir } = dhParams();
    const file = join(dir, 'scenarios', 'mine.yaml');
    writeFileSync(file, withDh('missing.pem'));
    expect(() => loadScenarioWithFile(file)).toThrow(/:10: tls\.dh\.file: cannot read .*missing\.pem: ENOENT$/);
    writeFileSync(file, withDh('mine.yaml'));
    expect(() => loadScenarioWithFile(file)).toThrow(/:10: tls\.dh\.file: .*not a PEM file of DH parameters/);
  });
});


describe("a user's own file needs only its behaviour", () => {
  it('the smallest: one fault, named after the file', () => {
    const file = join(tempDir('scenario'), 'Relay_Denied.yaml');
    writeFileSync(file, 'faults:\n  - { fault: reply, on: RCPT, reply: "550 5.7.1 Relaying denied" }\n');
    const { scenario } = loadScenarioWithFile(file);
    expect(scenario).toMatchObject({ name: 'relay-denied', symptoms: [], fixes: [], faults: [{ fault: 'reply', on: 'RCPT' }] });
    expect(scenario.summary).toBeUndefined();
  });

  it('an empty file is a plain server; a name given wins over the file\'s', () => {
    const dir = tempDir('scenario');
    writeFileSync(join(dir, 'plain.yaml'), '');
    expect(loadScenarioWithFile(join(dir, 'plain.yaml')).scenario).toMatchObject({ name: 'plain', faults: [] });
    writeFileSync(join(dir, 'named.yaml'), 'name: other\n');
    expect(loadScenarioWithFile(join(dir, 'named.yaml')).scenario.name).toBe('other');
  });

  it('every problem at once, each at its line, with "did you mean" for keys and values', () => {
    const text = 'greeting: "220 hi"\nsmtp:\n  greting: "220 hi"\n  sise: 10\ntls:\n  cert: expird\n  enigne: scripted\nfaults:\n  - { fault: reply, on: RCPT, reply: "550 no", tims: 2 }\n';
    expect(loadText(text).split('\n')).toEqual([
      'FILE:1: greeting: unknown key "greeting"',
      'FILE:3: smtp.greting: unknown key "greting" (did you mean "greeting"?)',
      'FILE:4: smtp.sise: unknown key "sise" (did you mean "size"?)',
      expect.stringMatching(/^FILE:6: tls\.cert: must be one of "valid", .* \(did you mean "expired"\?\)$/),
      'FILE:7: tls.enigne: unknown key "enigne" (did you mean "engine"?)',
      'FILE:9: faults.0.tims: unknown key "tims" (did you mean "times"?)',
    ]);
  });

  it('a file that is not a map of keys', () => {
    expect(loadText('- just\n- a list\n')).toBe('FILE:1: (top level): a scenario is a map of keys (smtp:, tls:, faults: ...)');
  });
});

describe('extends: start from another scenario; maps merge, lists replace', () => {
  it('weak-dh with another banner: the rest is weak-dh\'s, the name is the file\'s', () => {
    const file = join(tempDir('extends'), 'postfix-weak-dh.yaml');
    writeFileSync(file, 'extends: weak-dh\nsmtp:\n  greeting: "220 {hostname} ESMTP Postfix"\n');
    const { scenario } = loadScenarioWithFile(file);
    const weakDh = loadScenarioWithFile('weak-dh').scenario;
    expect(scenario.name).toBe('postfix-weak-dh');
    expect(scenario.smtp.greeting).toBe('220 {hostname} ESMTP Postfix');
    expect(scenario.tls).toEqual(weakDh.tls);
    expect(scenario.summary).toBe(weakDh.summary);
    expect(scenario).not.toHaveProperty('extends');
  });

  it('a map merges key by key: tls.cert changes, tls.engine and tls.dh stay', () => {
    const file = join(tempDir('extends'), 'mine.yaml');
    writeFileSync(file, 'extends: weak-dh\ntls:\n  cert: expired\n');
    expect(loadScenarioWithFile(file).scenario.tls).toMatchObject({ engine: 'scripted', dh: 512, cert: 'expired' });
  });

  it('greylist with times: 3: a list (faults) is replaced whole', () => {
    const file = join(tempDir('extends'), 'greylist-3.yaml');
    writeFileSync(file, 'extends: greylist\nfaults:\n  - { fault: reply, on: RCPT, reply: "450 4.2.0 Greylisted, please try again later", times: 3, per: triple }\n');
    expect(loadScenarioWithFile(file).scenario.faults).toEqual([expect.objectContaining({ fault: 'reply', on: 'RCPT', times: 3, per: 'triple' })]);
  });

  it('a file beside it, which may extend the catalogue in turn', () => {
    const dir = tempDir('extends');
    writeFileSync(join(dir, 'base.yaml'), 'extends: groupwise-450\nsmtp:\n  size: 1000\n');
    writeFileSync(join(dir, 'mine.yaml'), 'extends: ./base.yaml\nsmtp:\n  greeting: "220 mine"\n');
    const { scenario } = loadScenarioWithFile(join(dir, 'mine.yaml'));
    expect(scenario).toMatchObject({ name: 'mine', smtp: { greeting: '220 mine', size: 1000 }, faults: [{ fault: 'reply', on: 'STARTTLS' }] });
  });

  it('a problem is named in the file that has it: the base\'s in the base, the merged one where its key is', () => {
    const dir = tempDir('extends');
    writeFileSync(join(dir, 'base.yaml'), 'smtp:\n  greting: "220 base"\n');
    writeFileSync(join(dir, 'mine.yaml'), 'extends: ./base.yaml\n');
    expect(() => loadScenarioWithFile(join(dir, 'mine.yaml'))).toThrow(`${join(dir, 'base.yaml')}:2: smtp.greting: unknown key "greting" (did you mean "greeting"?)`);
    writeFileSync(join(dir, 'base.yaml'), 'faults:\n  - { fault: reply, on: RCPT, reply: "550 no" }\n');
    writeFileSync(join(dir, 'mine.yaml'), 'extends: ./base.yaml\nsmtp:\n  size: -1\n');
    expect(() => loadScenarioWithFile(join(dir, 'mine.yaml'))).toThrow(new RegExp(`^${join(dir, 'mine.yaml')}:3: smtp\\.size: `));
  });

  it('refused: an unknown name (with a "did you mean"), a path out of the folder, a cycle', () => {
    const dir = tempDir('extends');
    mkdirSync(join(dir, 'mine'));
    const file = join(dir, 'mine', 'a.yaml');
    writeFileSync(file, 'extends: weak_dh\n');
    expect(() => loadScenarioWithFile(file)).toThrow(`${file}:1: extends: unknown scenario "weak_dh" (did you mean "weak-dh"?): give a catalogue name or a path to a .yaml file`);
    writeFileSync(join(dir, 'outside.yaml'), 'smtp: { size: 10 }\n');
    writeFileSync(file, '# mine\nextends: ../outside.yaml\n');
    expect(() => loadScenarioWithFile(file)).toThrow(`${file}:2: extends: ../outside.yaml leaves the scenario's folder (${join(dir, 'mine')}); give an absolute path to use a file elsewhere`);
    writeFileSync(file, 'extends: ./b.yaml\n');
    writeFileSync(join(dir, 'mine', 'b.yaml'), 'extends: ./a.yaml\n');
    expect(() => loadScenarioWithFile(file)).toThrow(`${join(dir, 'mine', 'b.yaml')}:1: extends: ./a.yaml extends, in the end, this file: a cycle (a.yaml → b.yaml → a.yaml)`);
    writeFileSync(file, 'extends: ./a.yaml\n');
    expect(() => loadScenarioWithFile(file)).toThrow(/a cycle \(a\.yaml → a\.yaml\)/);
    // An absolute path is the user's own choice, as for tls.dh.file.
    writeFileSync(file, `extends: ${join(dir, 'outside.yaml')}\n`);
    expect(loadScenarioWithFile(file).scenario.smtp.size).toBe(10);
  });

  it('the API takes it too, from an object', () => {
    expect(parseScenarioObject({ extends: 'weak-dh', smtp: { greeting: '220 api' } })).toMatchObject({ name: 'inline', smtp: { greeting: '220 api' }, tls: { dh: 512 } });
  });
});
