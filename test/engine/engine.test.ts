// The scripted engine without sockets: the PRF against published vectors, record
// protection, real captured hellos, full handshakes with Node's TLS client over an
// in-memory pipe, the script, the transition rules, and a fuzz loop over mutated hellos.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { TlsServerEngine, HANDSHAKE_STEPS, type EngineEvent } from '../../src/tls/engine/engine.js';
import { parseClientHello, HandshakeReader } from '../../src/tls/engine/messages.js';
import { prf } from '../../src/tls/engine/prf.js';
import { AlertError } from '../../src/tls/engine/alert-error.js';
import { RecordProtection, RecordReader } from '../../src/tls/engine/records.js';
import { DEFAULT_SUITES, SUITES, suiteFitsVersion, VERSION_CODES, type ProtocolVersion } from '../../src/tls/engine/suites.js';
import { fuzzSeed, fuzzSessions, Random } from '../support/random.js';
import { capturedHello, engineConfig, HELLOS, runClient } from './support.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('PRF', () => {
  // The TLS 1.2 vectors posted to the IETF TLS list (msg03416), used by most TLS libraries' tests.
  it('P_SHA256 matches the published TLS 1.2 vector', () => {
    const out = prf('sha256', hex('9bbe436ba940f017b17652849a71db35'), 'test label', hex('a0ba9f936cda311827a6f796ffd5198c'), 100);
    expect(out.toString('hex')).toBe(
      'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
    );
  });

  it('P_SHA384 matches the published TLS 1.2 vector', () => {
    const out = prf('sha384', hex('b80b733d6ceefcdc71566ea48e5567df'), 'test label', hex('cd665cf6a8447dd6ff8b27555edb7465'), 148);
    expect(out.toString('hex')).toBe(
      '7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f',
    );
  });

  // The TLS 1.0 PRF of secret "secret", label "label", seed "seed" (the textbook example);
  // `openssl kdf -keylen 20 -kdfopt digest:MD5-SHA1 -kdfopt secret:secret -kdfopt seed:labelseed TLS1-PRF` prints the same.
  it('the TLS 1.0 MD5/SHA-1 PRF matches OpenSSL', () => {
    expect(prf('md5-sha1', Buffer.from('secret'), 'label', Buffer.from('seed'), 20).toString('hex')).toBe('b5baf4722b91851a8816d22ebd8c1d8cc2e94d55');
  });
});

describe('record protection', () => {
  const versions: ProtocolVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2'];
  const cases = SUITES.flatMap((suite) => versions.filter((version) => suiteFitsVersion(suite, VERSION_CODES[version])).map((version) => ({ suite, version })));

  it('covers every suite the engine has, at every version it may be chosen', () => {
    expect(new Set(cases.map(({ suite }) => suite.code)).size).toBe(SUITES.length);
    expect(cases.length).toBe(SUITES.filter((suite) => !suite.tls12Only && !suite.exportable).length * 3 + SUITES.filter((suite) => suite.tls12Only || suite.exportable).length);
  });

  it.each(cases)('$suite.name under $version: sealed records open, and a flipped bit is bad_record_mac', ({ suite, version }) => {
    // Export suites' keys arrive expanded to DES's 8 bytes, with an 8-byte IV (RFC 2246 §6.3).
    const keyLength = suite.exportable ? 8 : suite.keyLength;
    const keys = { suite, key: randomBytes(keyLength), macKey: randomBytes(suite.macLength), iv: randomBytes(suite.exportable ? 8 : suite.ivLength) };
    const code = () => VERSION_CODES[version];
    const sender = new RecordProtection(code);
    const receiver = new RecordProtection(code);
    sender.activate(keys);
    receiver.activate(keys);
    const reader = new RecordReader();
    for (const size of [0, 1, 15, 16, 17, 1000, 16384]) {
      const plaintext = randomBytes(size);
      const [record] = reader.push(sender.seal(23, plaintext));
      expect(receiver.open(record!)).toEqual(plaintext);
    }
    const sealed = sender.seal(23, Buffer.from('tamper with me'));
    sealed[sealed.length - 1]! ^= 1;
    const [tampered] = reader.push(sealed);
    expect(() => receiver.open(tampered!)).toThrow(AlertError);
  });

  it('reassembles records split at every byte', () => {
    const hello = capturedHello('openssl');
    const reader = new RecordReader();
    const records = [...hello].flatMap((byte) => reader.push(Buffer.of(byte)));
    expect(records).toHaveLength(1);
    expect(records[0]!.fragment).toEqual(hello.subarray(5));
  });
});

describe('ClientHello parsing of captured hellos', () => {
  const parse = (name: (typeof HELLOS)[number]) => {
    const [message] = new HandshakeReader().push(capturedHello(name).subarray(5));
    return parseClientHello(message!.body);
  };

  it('openssl 3.0: TLS 1.3-capable, SNI, secure renegotiation, EMS, RSA PKCS#1 SHA-256', () => {
    const hello = parse('openssl');
    expect(hello.version).toBe(0x0303);
    expect(hello.supportedVersions).toEqual(expect.arrayContaining([0x0304, 0x0303]));
    expect(hello.serverName).toBe('mx.broken-mta.test');
    expect(hello.renegotiationInfo).toBeDefined();
    expect(hello.extendedMasterSecret).toBe(true);
    expect(hello.signatureAlgorithms).toContain(0x0401);
    expect(hello.cipherSuites).toEqual(expect.arrayContaining([0x009e, 0x009f]));
  });

  it('openssl -tls1: a TLS 1.0 hello without supported_versions', () => {
    const hello = parse('openssl-tls1');
    expect(hello.version).toBe(0x0301);
    expect(hello.supportedVersions).toBeUndefined();
    expect(hello.cipherSuites).toContain(0x0033);
    expect(hello.renegotiationInfo).toBeDefined();
  });

  it('gnutls 3.7 and Node 20 offer the DHE suites', () => {
    for (const name of ['gnutls', 'node'] as const) {
      const hello = parse(name);
      expect(hello.cipherSuites, name).toContain(0x009e);
      expect(hello.signatureAlgorithms, name).toContain(0x0401);
    }
    expect(parse('node').serverName).toBe('mx.broken-mta.test');
  });
});

describe('handshakes with a real client (Node TLS) over an in-memory pipe', () => {
  const cases: Array<{ version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'; cipher: string; name: string }> = [
    { version: 'TLSv1.2', cipher: 'DHE-RSA-AES128-GCM-SHA256', name: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256' },
    { version: 'TLSv1.2', cipher: 'DHE-RSA-AES256-GCM-SHA384', name: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384' },
    { version: 'TLSv1.2', cipher: 'DHE-RSA-AES128-SHA', name: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA' },
    { version: 'TLSv1.2', cipher: 'DHE-RSA-AES256-SHA', name: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA' },
    { version: 'TLSv1.1', cipher: 'DHE-RSA-AES128-SHA', name: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA' },
    { version: 'TLSv1', cipher: 'DHE-RSA-AES256-SHA', name: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA' },
  ];

  it.each(cases)('$version $cipher: handshake, data both ways', async ({ version, cipher, name }) => {
    const { caFile, ...config } = await engineConfig();
    const engine = new TlsServerEngine(config);
    const legacy = version !== 'TLSv1.2';
    const run = await runClient(engine, { minVersion: version, maxVersion: version, ciphers: legacy ? `${cipher}:@SECLEVEL=0` : cipher }, caFile);
    expect(run.error).toBeUndefined();
    expect(run.reply).toBe('echo: ping');
    expect(run.protocol).toBe(version);
    expect(run.cipher).toBe(name);
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'handshake-complete', version, keyExchange: { kind: 'DHE', bits: 2048 } }));
    expect(run.events).toContainEqual({ type: 'application-data', data: Buffer.from('ping') });
  });

  it('without extended master secret too (a TLS 1.0 client of the old kind)', async () => {
    const { caFile, ...config } = await engineConfig({ versions: ['TLSv1'] });
    const engine = new TlsServerEngine(config);
    const run = await runClient(engine, { maxVersion: 'TLSv1', minVersion: 'TLSv1', ciphers: 'DHE-RSA-AES128-SHA:@SECLEVEL=0' }, caFile);
    expect(run.reply).toBe('echo: ping');
  });

  it('a 512-bit group: Node refuses it, and the engine records the client alert', async () => {
    const { caFile, ...config } = await engineConfig({ dh: '512' });
    const run = await runClient(new TlsServerEngine(config), { maxVersion: 'TLSv1.2' }, caFile);
    expect(run.error?.message).toMatch(/dh key too small|DH parameter size 512/i);
    // Node checks minDHSize after the handshake, so it may finish it first; either way the engine saw the 512-bit group go out.
    expect(run.events).toContainEqual({ type: 'step', step: 'ServerKeyExchange' });
  });

  it.each(HANDSHAKE_STEPS.filter((step) => step !== 'ClientHello'))('alertAfter %s: the client gets the alert at that point', async (step) => {
    const { caFile, ...config } = await engineConfig({ script: { alertAfter: { step, alert: 40 } } });
    const run = await runClient(new TlsServerEngine(config), { maxVersion: 'TLSv1.2' }, caFile);
    const steps = run.events.filter((event): event is Extract<EngineEvent, { type: 'step' }> => event.type === 'step').map((event) => event.step);
    expect(steps[steps.length - 1]).toBe(step);
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'alert-sent', fatal: true, alert: { code: 40, name: 'handshake_failure' } }));
    if (step === 'ServerFinished') expect(run.reply === undefined || run.error !== undefined).toBe(true);
    else expect(run.error?.message).toMatch(/handshake failure|closed|socket disconnected/i);
  });

  // Over a pipe Node reports the error without flushing its alert; the real-client tests
  // (test/scenarios/engine.test.ts) see the alert itself on a socket.
  it('corrupt ske-signature: the client refuses the signature', async () => {
    const { caFile, ...config } = await engineConfig({ script: { corrupt: 'ske-signature' } });
    const run = await runClient(new TlsServerEngine(config), { maxVersion: 'TLSv1.2' }, caFile);
    expect(run.error?.message).toMatch(/invalid padding|bad signature/);
  });

  it('corrupt finished: the client refuses the server Finished', async () => {
    const { caFile, ...config } = await engineConfig({ script: { corrupt: 'finished' } });
    const run = await runClient(new TlsServerEngine(config), { maxVersion: 'TLSv1.2' }, caFile);
    expect(run.error?.message).toMatch(/digest check failed/);
  });

  it('stopAfter ServerKeyExchange: the engine goes silent and the client waits', async () => {
    const { caFile, ...config } = await engineConfig({ script: { stopAfter: 'ServerKeyExchange' } });
    const engine = new TlsServerEngine(config);
    const run = await runClient(engine, { maxVersion: 'TLSv1.2' }, caFile, 1000);
    expect(run.error?.message).toBe('timed out');
    expect(engine.state).toBe('silent');
    expect(run.events).toContainEqual({ type: 'stopped', after: 'ServerKeyExchange' });
  });
});

describe('renegotiation', () => {
  it('a client that renegotiates gets no_renegotiation (100); Node\'s client gives up with ERR_SSL_NO_RENEGOTIATION', async () => {
    const { caFile, ...config } = await engineConfig();
    const engine = new TlsServerEngine(config);
    const events: EngineEvent[] = [];
    const end = new (class extends Duplex {
      override _read(): void {}
      override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
        const output = engine.receive(chunk);
        events.push(...output.events);
        if (output.bytes.length) setImmediate(() => this.push(output.bytes));
        callback();
      }
    })();
    const socket = tlsConnect({ socket: end, servername: 'mx.broken-mta.test', ca: readFileSync(caFile), maxVersion: 'TLSv1.2' });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const error = await new Promise<Error & { code?: string }>((resolve) => {
      socket.once('error', resolve);
      socket.renegotiate({}, () => undefined);
    });
    socket.destroy();
    expect(error.code).toBe('ERR_SSL_NO_RENEGOTIATION');
    expect(events).toContainEqual(expect.objectContaining({ type: 'alert-sent', fatal: false, alert: { code: 100, name: 'no_renegotiation' } }));
  });
});

describe('the transition rules', () => {
  const record = (type: number, body: Buffer) => Buffer.concat([Buffer.of(type, 3, 3, body.length >> 8, body.length & 0xff), body]);

  it('ChangeCipherSpec before any hello is unexpected_message (10)', async () => {
    const { caFile: _ca, ...config } = await engineConfig();
    const engine = new TlsServerEngine(config);
    const { events, bytes } = engine.receive(record(20, Buffer.of(1)));
    expect(events).toContainEqual(expect.objectContaining({ type: 'alert-sent', alert: { code: 10, name: 'unexpected_message' } }));
    expect(bytes).toEqual(Buffer.of(21, 3, 1, 0, 2, 2, 10));
    expect(engine.state).toBe('closed');
  });

  it('a hello offering only TLS 1.3 gets protocol_version (70); an SSLv3-only engine answers SSLv3 and lets the client refuse', async () => {
    const hello = capturedHello('openssl');
    const [message] = new HandshakeReader().push(hello.subarray(5));
    const parsed = parseClientHello(message!.body);
    expect(parsed.supportedVersions).toContain(0x0304);
    const { caFile: _ca, ...config } = await engineConfig({ versions: ['SSLv3'] });
    const engine = new TlsServerEngine(config);
    const { bytes } = engine.receive(hello);
    // ServerHello record: handshake type 2, server_version 0x0300.
    expect(bytes[5]).toBe(2);
    expect(bytes.readUInt16BE(9)).toBe(0x0300);
  });

  it('no DHE suite in common: handshake_failure (40)', async () => {
    const { caFile: _ca, ...config } = await engineConfig({ suites: DEFAULT_SUITES.filter((suite) => suite.code === 0x0039) });
    const engine = new TlsServerEngine(config);
    const { events } = engine.receive(capturedHello('openssl-tls1'));
    expect(events).toContainEqual(expect.objectContaining({ type: 'alert-sent', alert: { code: 40, name: 'handshake_failure' } }));
  });
});

describe('fuzz: mutated captured hellos', () => {
  it('every input ends in an alert or a clean state, never an exception', async () => {
    const seed = fuzzSeed();
    const random = new Random(seed);
    const { caFile: _ca, ...config } = await engineConfig({ dh: '512' });
    const runs = fuzzSessions(400);
    const outcomes = { alert: 0, waiting: 0 };
    for (let i = 0; i < runs; i++) {
      const engine = new TlsServerEngine(config);
      let input = random.mutate(capturedHello(random.pick(HELLOS)));
      if (random.int(4) === 0) input = Buffer.concat([input, random.bytes(random.int(64))]);
      let alerted = false;
      for (let offset = 0; offset < input.length; ) {
        const step = 1 + random.int(64);
        const { events } = engine.receive(input.subarray(offset, offset + step));
        alerted ||= events.some((event) => event.type === 'alert-sent' && event.fatal);
        offset += step;
      }
      const clean = ['wait-client-hello', 'wait-client-key-exchange'].includes(engine.state);
      expect(alerted || clean, `seed ${seed}, run ${i}: state ${engine.state}`).toBe(true);
      if (alerted) expect(engine.state, `seed ${seed}, run ${i}`).toBe('closed');
      outcomes[alerted ? 'alert' : 'waiting']++;
    }
    console.log(`engine fuzz: seed ${seed}, ${runs} hellos: ${outcomes.alert} alerts, ${outcomes.waiting} accepted or waiting for more`);
    expect(outcomes.alert).toBeGreaterThan(0);
  });
});
