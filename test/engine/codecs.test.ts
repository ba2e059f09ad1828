// The client side's codecs without sockets: our ClientHello goes to Node's own TLS server
// (OpenSSL) and to the scripted engine over an in-memory pipe, and what comes back is read
// with the server-flight parsers; signatures are checked against the certificate, so a
// parser that misplaces a byte fails. Then the known DH groups against OpenSSL's own copies.
import { constants, createHash, generateKeyPairSync, publicDecrypt, randomBytes, verify, X509Certificate, checkPrimeSync } from 'node:crypto';
import { Duplex } from 'node:stream';
import { createSecureContext, TLSSocket, type SecureContextOptions } from 'node:tls';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlertError } from '../../src/tls/engine/alert-error.js';
import { TlsServerEngine } from '../../src/tls/engine/engine.js';
import { dhGroup, dhGroupFromFile, dhParamsPem, knownDhGroups, toBigInt } from '../../src/tls/engine/groups.js';
import {
  clientExtension,
  clientHello,
  HandshakeReader,
  HandshakeType,
  parseAlert,
  parseCertificate,
  parseCertificateRequest,
  parseClientHello,
  parseServerHello,
  parseServerHelloDone,
  parseServerKeyExchange,
  type Extension,
  type HandshakeMessage,
} from '../../src/tls/engine/messages.js';
import { ContentType, encodeRecord, RecordReader } from '../../src/tls/engine/records.js';
import { describeSuite, KNOWN_SUITES, RENEGOTIATION_SCSV, TLS13 } from '../../src/tls/engine/suites.js';
import { run } from '../support/clients.js';
import { engineConfig } from './support.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const ECDHE_RSA = [0xc02f, 0xc030, 0xc013, 0xc014];
const DHE_RSA = [0x009e, 0x009f, 0x0033, 0x0039, 0x0067];
const SIGALGS = [0x0804, 0x0401, 0x0501, 0x0201];

function hello(version: number, suites: number[], extensions?: Extension[]): { record: Buffer; random: Buffer } {
  const random = randomBytes(32);
  const message = clientHello({ version, random, cipherSuites: suites, ...(extensions ? { extensions } : {}) });
  return { record: encodeRecord(ContentType.Handshake, Math.min(version, 0x0301), message), random };
}

const modernExtensions = (): Extension[] => [
  clientExtension.serverName('mx.broken-mta.test'),
  clientExtension.supportedGroups([29, 23, 24, 256]),
  clientExtension.ecPointFormats(),
  clientExtension.signatureAlgorithms(SIGALGS),
  clientExtension.renegotiationInfo(),
  clientExtension.extendedMasterSecret(),
];

interface Flight {
  messages: HandshakeMessage[];
  alerts: Array<{ level: number; description: number }>;
}

/** Splits a server's bytes into handshake messages and alerts, as a probe reads them. */
function readFlight(bytes: Buffer): Flight {
  const handshakes = new HandshakeReader();
  const flight: Flight = { messages: [], alerts: [] };
  for (const record of new RecordReader().push(bytes)) {
    if (record.type === ContentType.Alert) flight.alerts.push(parseAlert(record.fragment));
    if (record.type === ContentType.Handshake) flight.messages.push(...handshakes.push(record.fragment));
  }
  return flight;
}

/** A TLS 1.2 flight ends with ServerHelloDone or an alert; in TLS 1.3 all after the ServerHello is encrypted. */
const flightDone = (bytes: Buffer) => {
  try {
    const flight = readFlight(bytes);
    const encrypted = new RecordReader().push(bytes).some((record) => record.type === ContentType.ApplicationData);
    return encrypted || flight.alerts.length > 0 || flight.messages.some((m) => m.type === HandshakeType.ServerHelloDone);
  } catch {
    return false;
  }
};

/** Node's TLS server (OpenSSL 3) on one end of an in-memory pipe: our hello in, its flight out. */
function nodeServerFlight(record: Buffer, options: SecureContextOptions & { requestCert?: boolean }): Promise<Buffer> {
  const out: Buffer[] = [];
  const wire = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  const server = new TLSSocket(wire, { isServer: true, secureContext: createSecureContext(options), requestCert: options.requestCert ?? false });
  server.on('error', () => undefined);
  wire.push(record);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const bytes = Buffer.concat(out);
      if (flightDone(bytes) || Date.now() - started > 3000) {
        clearInterval(poll);
        server.destroy();
        if (flightDone(bytes)) resolve(bytes);
        else reject(new Error(`no complete flight; got ${bytes.length} bytes`));
      }
    }, 5);
  });
}

/** RFC 5246 §7.4.3 (TLS 1.2) and RFC 4346 (TLS 1.0/1.1: MD5+SHA-1 without DigestInfo). */
function signatureVerifies(certificate: Buffer, clientRandom: Buffer, serverRandom: Buffer, ske: ReturnType<typeof parseServerKeyExchange>): boolean {
  const key = new X509Certificate(certificate).publicKey;
  const signed = Buffer.concat([clientRandom, serverRandom, ske.params]);
  if (ske.signatureAlgorithm === undefined) {
    const digest = Buffer.concat([createHash('md5').update(signed).digest(), createHash('sha1').update(signed).digest()]);
    return publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, ske.signature).equals(digest);
  }
  const hash = { 4: 'sha256', 5: 'sha384', 6: 'sha512', 2: 'sha1', 8: 'sha256' }[ske.signatureAlgorithm >> 8]!;
  const pss = ske.signatureAlgorithm >> 8 === 8;
  return verify(hash, signed, pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key, ske.signature);
}

let server: { key: string; cert: string; der: Buffer };

beforeAll(async () => {
  const config = await engineConfig();
  server = { key: config.key as string, cert: new X509Certificate(config.chain[0]!).toString(), der: config.chain[0]! };
});

describe('ClientHello encoder', () => {
  it('round-trips through the engine parser with every field a probe sets', () => {
    const random = randomBytes(32);
    const message = clientHello({ version: 0x0303, random, cipherSuites: [...ECDHE_RSA, RENEGOTIATION_SCSV], extensions: [...modernExtensions(), clientExtension.supportedVersions([TLS13, 0x0303])] });
    const [parsed] = new HandshakeReader().push(message);
    expect(parsed!.type).toBe(HandshakeType.ClientHello);
    const hello = parseClientHello(parsed!.body);
    expect(hello).toMatchObject({ version: 0x0303, random, serverName: 'mx.broken-mta.test', supportedVersions: [TLS13, 0x0303], signatureAlgorithms: SIGALGS, extendedMasterSecret: true });
    expect(hello.cipherSuites).toEqual([...ECDHE_RSA, RENEGOTIATION_SCSV]);
    expect(hello.renegotiationInfo).toEqual(Buffer.alloc(0));
    expect([...hello.extensions.keys()]).toEqual([0, 10, 11, 13, 0xff01, 23, 43]);
  });

  it('an SSLv3 hello has no extensions block at all, and no SNI unless asked', () => {
    const message = clientHello({ version: 0x0300, random: randomBytes(32), cipherSuites: [0x0039, 0x0033] });
    const body = message.subarray(4);
    // version 2 + random 32 + session id 1 + suites 2+4 + compression 2: nothing after it.
    expect(body.length).toBe(2 + 32 + 1 + 6 + 2);
    const hello = parseClientHello(body);
    expect(hello.version).toBe(0x0300);
    expect(hello.extensions.size).toBe(0);
    expect(hello.serverName).toBeUndefined();
    expect(hello.renegotiationInfo).toBeUndefined();
  });
});

describe("the server's flight from Node's TLS server (OpenSSL 3)", () => {
  it('TLS 1.2, ECDHE: ServerHello with renegotiation_info and EMS, the chain, a signed x25519 share, ServerHelloDone', async () => {
    const { record, random } = hello(0x0303, ECDHE_RSA, modernExtensions());
    const flight = readFlight(await nodeServerFlight(record, { key: server.key, cert: server.cert }));
    expect(flight.messages.map((m) => m.type)).toEqual([2, 11, 12, 14]);
    const [serverHelloMessage, certificate, keyExchange, done] = flight.messages;
    const serverHello = parseServerHello(serverHelloMessage!.body);
    expect(serverHello.version).toBe(0x0303);
    expect(ECDHE_RSA).toContain(serverHello.cipherSuite);
    expect(describeSuite(serverHello.cipherSuite).keyExchange).toBe('ECDHE');
    expect(serverHello.renegotiationInfo).toEqual(Buffer.alloc(0));
    expect(serverHello.extendedMasterSecret).toBe(true);
    expect(serverHello.helloRetryRequest).toBe(false);
    const chain = parseCertificate(certificate!.body);
    expect(chain[0]).toEqual(server.der);
    const ske = parseServerKeyExchange(keyExchange!.body, 'ECDHE', serverHello.version);
    expect(ske).toMatchObject({ kind: 'ECDHE', namedCurve: 29 });
    expect(ske.publicValue.length).toBe(32);
    expect(signatureVerifies(chain[0]!, random, serverHello.random, ske)).toBe(true);
    parseServerHelloDone(done!.body);
  });

  it('TLS 1.2, DHE only: the served group, byte for byte, signed', async () => {
    const group = dhGroup('2048');
    const { record, random } = hello(0x0303, DHE_RSA, modernExtensions());
    const flight = readFlight(await nodeServerFlight(record, { key: server.key, cert: server.cert, dhparam: dhParamsPem(group.p, group.g) }));
    const serverHello = parseServerHello(flight.messages[0]!.body);
    expect(describeSuite(serverHello.cipherSuite).keyExchange).toBe('DHE');
    const ske = parseServerKeyExchange(flight.messages[2]!.body, 'DHE', serverHello.version);
    if (ske.kind !== 'DHE') throw new Error('not DHE');
    expect(toBigInt(ske.p)).toBe(group.p);
    expect(toBigInt(ske.g)).toBe(2n);
    expect(ske.signatureAlgorithm).toBeDefined();
    expect(signatureVerifies(server.der, random, serverHello.random, ske)).toBe(true);
  });

  it('TLS 1.0: no signature algorithm in the ServerKeyExchange, MD5+SHA-1 signature', async () => {
    const { record, random } = hello(0x0301, ECDHE_RSA, modernExtensions().filter(([type]) => type !== 13));
    const flight = readFlight(await nodeServerFlight(record, { key: server.key, cert: server.cert, minVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }));
    const serverHello = parseServerHello(flight.messages[0]!.body);
    expect(serverHello.version).toBe(0x0301);
    const ske = parseServerKeyExchange(flight.messages[2]!.body, 'ECDHE', serverHello.version);
    expect(ske.signatureAlgorithm).toBeUndefined();
    expect(signatureVerifies(server.der, random, serverHello.random, ske)).toBe(true);
  });

  it('a CertificateRequest when the server asks for a client certificate', async () => {
    const { record } = hello(0x0303, ECDHE_RSA, modernExtensions());
    const flight = readFlight(await nodeServerFlight(record, { key: server.key, cert: server.cert, ca: server.cert, requestCert: true }));
    const request = flight.messages.find((m) => m.type === HandshakeType.CertificateRequest)!;
    const parsed = parseCertificateRequest(request.body, 0x0303);
    expect(parsed.certificateTypes).toContain(1); // rsa_sign
    expect(parsed.signatureAlgorithms!.length).toBeGreaterThan(0);
    expect(parsed.authorities.length).toBe(1);
  });

  it('no suite in common: a fatal handshake_failure alert', async () => {
    const { record } = hello(0x0303, [0x0005], modernExtensions());
    const flight = readFlight(await nodeServerFlight(record, { key: server.key, cert: server.cert }));
    expect(flight.messages).toEqual([]);
    expect(flight.alerts).toEqual([{ level: 2, description: 40, fatal: true }]);
  });

  it('TLS 1.3: the ServerHello names the version in supported_versions', async () => {
    const share = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' }).subarray(-32);
    const extensions = [...modernExtensions(), clientExtension.supportedVersions([TLS13]), clientExtension.keyShare([[29, share]])];
    const { record } = hello(0x0303, [0x1301, 0x1302], extensions);
    const flight = readFlight(await nodeServerFlight(record, { key: server.key, cert: server.cert }));
    const serverHello = parseServerHello(flight.messages[0]!.body);
    expect(serverHello.version).toBe(0x0303);
    expect(serverHello.selectedVersion).toBe(TLS13);
    expect(serverHello.extensions.has(51)).toBe(true);
  });
});

describe("the server's flight from the scripted engine", () => {
  it('an SSLv3 hello to an SSLv3 engine: the whole flight parses, the group is the one served', async () => {
    const engine = new TlsServerEngine(await engineConfig({ versions: ['SSLv3'], dh: '512' }));
    const { record, random } = hello(0x0300, DHE_RSA);
    const flight = readFlight(engine.receive(record).bytes);
    expect(flight.messages.map((m) => m.type)).toEqual([2, 11, 12, 14]);
    const serverHello = parseServerHello(flight.messages[0]!.body);
    expect(serverHello.version).toBe(0x0300);
    expect(serverHello.renegotiationInfo).toBeUndefined();
    const ske = parseServerKeyExchange(flight.messages[2]!.body, 'DHE', serverHello.version);
    if (ske.kind !== 'DHE') throw new Error('not DHE');
    expect(toBigInt(ske.p)).toBe(dhGroup('512').p);
    expect(signatureVerifies(server.der, random, serverHello.random, ske)).toBe(true);
  });
});

describe('the parsers refuse what is malformed, with decode_error', () => {
  it.each([
    ['a ServerHello cut short', () => parseServerHello(Buffer.alloc(20))],
    ['a ServerHello with trailing bytes', () => parseServerHello(Buffer.concat([Buffer.of(3, 3), Buffer.alloc(32), Buffer.of(0, 0, 0x2f, 0, 0, 0, 0xff)]))],
    ['a Certificate whose list overruns', () => parseCertificate(Buffer.of(0, 0, 9, 0, 0, 3, 1, 2, 3))],
    ['an empty DH prime', () => parseServerKeyExchange(Buffer.of(0, 0, 0, 1, 2, 0, 1, 5, 0, 0), 'DHE', 0x0301)],
    ['a non-empty ServerHelloDone', () => parseServerHelloDone(Buffer.of(0))],
    ['an alert of three bytes', () => parseAlert(Buffer.of(2, 40, 0))],
  ])('%s', (_name, parse) => {
    expect(parse).toThrow(AlertError);
    try {
      parse();
    } catch (error) {
      expect((error as AlertError).alert).toBe(50);
    }
  });

  it('an explicit curve (not a named one) is illegal_parameter', () => {
    expect(() => parseServerKeyExchange(Buffer.of(1, 0, 0), 'ECDHE', 0x0303)).toThrow(/named_curve/);
  });
});

describe('the vocabulary tables', () => {
  it("every suite OpenSSL 3 knows by code has the same IANA and OpenSSL names here", async () => {
    const { stdout } = await run('openssl', ['ciphers', '-V', '-stdname', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0']);
    let compared = 0;
    for (const line of stdout.split('\n')) {
      const match = /0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+- (\S+)/.exec(line);
      if (!match) continue;
      const known = KNOWN_SUITES.find((suite) => suite.code === parseInt(match[1]! + match[2]!, 16));
      if (!known) continue;
      expect([known.name, known.openssl]).toEqual([match[3], match[4]]);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(40);
    expect(new Set(KNOWN_SUITES.map((suite) => suite.code)).size).toBe(KNOWN_SUITES.length);
  });

  it('the RFC 7919 groups, computed, equal OpenSSL 3 built-in ones', async () => {
    for (const bits of [2048, 3072, 4096, 6144, 8192]) {
      const generated = await run('openssl', ['genpkey', '-genparam', '-algorithm', 'DH', '-pkeyopt', `group:ffdhe${bits}`]);
      const dir = mkdtempSync(join(tmpdir(), 'broken-mta-codecs-'));
      try {
        writeFileSync(join(dir, 'p.pem'), generated.stdout);
        const ours = knownDhGroups().find((group) => group.name === `ffdhe${bits}`)!;
        expect(dhGroupFromFile(join(dir, 'p.pem')).p).toBe(ours.p);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  // The RFC groups come from Node's copies and the RFC 7919 formula (checked above); the
  // ones copied here as hex are tested, since a typo would make them neither.
  it('every group copied as hex is what it says: safe primes are safe, the broken ones broken', () => {
    const broken = new Set(['composite', 'small-subgroup', 'badssl-dh-composite', 'badssl-dh-small-subgroup']);
    for (const group of knownDhGroups().filter((known) => !/^(rfc|ffdhe)/.test(known.name))) {
      const safe = checkPrimeSync(group.p) && checkPrimeSync((group.p - 1n) / 2n);
      expect({ name: group.name, safe }).toEqual({ name: group.name, safe: !broken.has(group.name) });
    }
    expect(new Set(knownDhGroups().map((group) => group.p)).size).toBe(knownDhGroups().length);
  });

  it('dhParamsPem writes what dhGroupFromFile and OpenSSL read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'broken-mta-codecs-'));
    try {
      for (const name of ['480', '2048', 'small-subgroup'] as const) {
        const group = dhGroup(name);
        const file = join(dir, `${name}.pem`);
        writeFileSync(file, dhParamsPem(group.p, group.g));
        expect(dhGroupFromFile(file)).toMatchObject({ p: group.p, g: group.g });
        const text = await run('openssl', ['pkeyparam', '-in', file, '-noout', '-text']);
        expect(text.code).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
