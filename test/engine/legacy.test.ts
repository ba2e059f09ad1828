// The engine's legacy suites without sockets: RC4 and DES/3DES against their published
// vectors, static RSA's premaster decryption against Node's own PKCS#1 v1.5 encryption
// (with RFC 5246's answer to Bleichenbacher: a bad block gives a random premaster, never an
// alert of its own), export key expansion, and full handshakes with Node's TLS client over
// the in-memory pipe for every new suite Node's OpenSSL still has (3DES and RC4 it has
// not: gnutls-cli completes those in test/scenarios/legacy-suites.test.ts).
import { constants, createCipheriv, createPrivateKey, createPublicKey, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockCipherOf } from '../../src/tls/engine/ciphers.js';
import { TlsServerEngine } from '../../src/tls/engine/engine.js';
import { deriveKeys } from '../../src/tls/engine/handshake.js';
import { parseClientHello, parseServerKeyExchange, HandshakeReader } from '../../src/tls/engine/messages.js';
import { RecordReader } from '../../src/tls/engine/records.js';
import { prf } from '../../src/tls/engine/prf.js';
import { Rc4 } from '../../src/tls/engine/rc4.js';
import { pkcs1v15Message, premasterFromBlock, staticRsa } from '../../src/tls/engine/rsa-key-exchange.js';
import { findSuite, VERSION_CODES } from '../../src/tls/engine/suites.js';
import { vector16 } from '../../src/tls/engine/wire.js';
import { capturedHello, engineConfig, runClient } from './support.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const suite = (name: string) => findSuite(name)!;

describe('RC4 against RFC 6229', () => {
  // RFC 6229 §2: keystream bytes at offsets 0, 16, 240, 256 and 4096.
  const vectors = [
    { key: '0102030405', stream: ['b2396305f03dc027ccc3524a0a1118a8', '6982944f18fc82d589c403a47a0d0919', '28cb1132c96ce286421dcaadb8b69eae', '1cfcf62b03eddb641d77dfcf7f8d8c93', 'ff25b58995996707e51fbdf08b34d875'] },
    { key: '0102030405060708090a0b0c0d0e0f10', stream: ['9ac7cc9a609d1ef7b2932899cde41b97', '5248c4959014126a6e8a84f11d1a9e1c', '065902e4b620f6cc36c8589f66432f2b', 'd39d566bc6bce3010768151549f3873f', 'a36a4c301ae8ac13610ccbc12256cacc'] },
  ];

  it.each(vectors)('key $key', ({ key, stream }) => {
    const keystream = new Rc4(hex(key)).xor(Buffer.alloc(4112));
    expect([0, 16, 240, 256, 4096].map((offset) => keystream.subarray(offset, offset + 16).toString('hex'))).toEqual(stream);
  });

  it('runs on across calls, as records do: the keystream in pieces is the keystream whole', () => {
    const rc4 = new Rc4(hex('0102030405060708090a0b0c0d0e0f10'));
    const pieces = [1, 15, 224, 16, 3840, 16].map((length) => rc4.xor(Buffer.alloc(length)));
    expect(Buffer.concat(pieces).subarray(4096).toString('hex')).toBe('a36a4c301ae8ac13610ccbc12256cacc');
  });
});

describe('DES and 3DES against NIST', () => {
  const firstBlock = (name: string, key: Buffer, plaintext: Buffer) => createCipheriv(name, key, Buffer.alloc(8)).setAutoPadding(false).update(plaintext);

  it('3DES: the SP 800-67 example (three keys, "The qufck brown fox jump")', () => {
    const { name, key, blockSize } = blockCipherOf({ suite: suite('DES-CBC3-SHA'), key: hex('0123456789abcdef 23456789abcdef01 456789abcdef0123') });
    expect(blockSize).toBe(8);
    // CBC with a zero IV, block by block, is ECB when each block's IV is the one before it: check block 1 alone.
    expect(firstBlock(name, key, Buffer.from('The qufc')).toString('hex')).toBe('a826fd8ce53b855f');
    const ecb = createCipheriv('des-ede3', key, null).setAutoPadding(false).update(Buffer.from('The qufck brown fox jump'));
    expect(ecb.toString('hex')).toBe('a826fd8ce53b855fcce21c8112256fe668d5c05dd9b6b900');
  });

  it('export DES40 is single DES: SP 800-20 known answers through the engine\'s mapping', () => {
    const des = (key: string, plaintext: string) => {
      const cipher = blockCipherOf({ suite: suite('EXP-EDH-RSA-DES-CBC-SHA'), key: hex(key) });
      return firstBlock(cipher.name, cipher.key, hex(plaintext)).toString('hex');
    };
    // SP 800-20 Table A.1 (variable plaintext), first entry; FIPS 81's "Now is t".
    expect(des('0101010101010101', '8000000000000000')).toBe('95f8a5e5dd31d900');
    expect(des('0123456789abcdef', '4e6f772069732074')).toBe('3fa40e8a984d4815');
  });
});

describe('static RSA: the premaster secret (RFC 5246 §7.4.7.1)', () => {
  let key: KeyObject;
  let publicKey: KeyObject;
  beforeAll(async () => {
    key = createPrivateKey((await engineConfig()).key as string);
    publicKey = createPublicKey(key);
  });
  const clientVersion = VERSION_CODES['TLSv1.2'];
  const premaster = Buffer.concat([Buffer.of(3, 3), randomBytes(46)]);
  const random46 = Buffer.alloc(46, 0xaa);
  const pendingFor = (version = clientVersion) =>
    staticRsa.start({ key, hello: { version } as never, serverRandom: Buffer.alloc(32), version, group: undefined as never, random: () => Buffer.from(random46), corrupt: false }).pending;

  it('sends no ServerKeyExchange, and says what it rests on: RSA, 2048 bits', () => {
    const start = staticRsa.start({ key, hello: { version: clientVersion } as never, serverRandom: Buffer.alloc(32), version: clientVersion, group: undefined as never, random: randomBytes, corrupt: false });
    expect(start.message).toBeUndefined();
    expect(start.pending).toMatchObject({ kind: 'RSA', bits: 2048 });
  });

  it("decrypts what Node's PKCS#1 v1.5 encryption made", () => {
    const encrypted = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, premaster);
    expect(pendingFor().premasterSecret(vector16(encrypted))).toEqual(premaster);
  });

  it('a wrong version in the premaster is replaced by the ClientHello\'s, so the Finished fails later, not here', () => {
    const wrong = Buffer.concat([Buffer.of(3, 1), premaster.subarray(2)]);
    const encrypted = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, wrong);
    expect(pendingFor().premasterSecret(vector16(encrypted))).toEqual(premaster);
  });

  const block = (...parts: Buffer[]) => Buffer.concat(parts);
  const ps = Buffer.alloc(256 - 3 - 48, 0x5a);
  const badBlocks: Array<[string, Buffer]> = [
    ['a first byte that is not 0', block(Buffer.of(1, 2), ps, Buffer.of(0), premaster)],
    ['block type 1 (a signature) instead of 2', block(Buffer.of(0, 1), ps, Buffer.of(0), premaster)],
    ['no zero byte after the padding', block(Buffer.of(0, 2), Buffer.alloc(254, 0x5a))],
    ['padding of 7 bytes', block(Buffer.of(0, 2), Buffer.alloc(7, 0x5a), Buffer.of(0), Buffer.alloc(256 - 10, 1))],
    ['a message of 47 bytes', block(Buffer.of(0, 2), Buffer.alloc(256 - 3 - 47, 0x5a), Buffer.of(0), premaster.subarray(1))],
  ];

  it.each(badBlocks)('%s: the premaster is the client version and the random bytes', (_what, bad) => {
    expect(bad).toHaveLength(256);
    expect(pkcs1v15Message(bad)?.length === 48).toBe(false);
    expect(premasterFromBlock(bad, clientVersion, random46)).toEqual(Buffer.concat([Buffer.of(3, 3), random46]));
  });

  it('the same bad blocks, encrypted, give no alert: the random premaster comes back', () => {
    for (const [, bad] of badBlocks) {
      const encrypted = publicEncrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, bad);
      expect(pendingFor().premasterSecret(vector16(encrypted))).toEqual(Buffer.concat([Buffer.of(3, 3), random46]));
    }
  });

  it('a ciphertext of the wrong length is decode_error (50); one over the modulus decrypt_error (51)', () => {
    expect(() => pendingFor().premasterSecret(vector16(Buffer.alloc(255, 1)))).toThrow(expect.objectContaining({ alert: 50 }));
    expect(() => pendingFor().premasterSecret(vector16(Buffer.alloc(256, 0xff)))).toThrow(expect.objectContaining({ alert: 51 }));
  });
});

describe('static RSA in the engine: a bad premaster shows only at the Finished', () => {
  it('a ClientKeyExchange of garbage moves on without an alert; the Finished that follows is bad_record_mac (20)', async () => {
    const engine = new TlsServerEngine(await engineConfig({ suites: [suite('AES128-SHA')] }));
    engine.receive(capturedHello('openssl'));
    expect(engine.state).toBe('wait-client-key-exchange');
    const garbage = Buffer.concat([Buffer.of(0), randomBytes(255)]);
    const body = vector16(garbage);
    const message = Buffer.concat([Buffer.of(16, 0, body.length >> 8, body.length & 0xff), body]);
    const handshakeRecord = (content: Buffer) => Buffer.concat([Buffer.of(22, 3, 3, content.length >> 8, content.length & 0xff), content]);
    const afterKeyExchange = engine.receive(handshakeRecord(message));
    expect(afterKeyExchange.events.filter((event) => event.type === 'alert-sent')).toEqual([]);
    expect(engine.state).toBe('wait-change-cipher-spec');
    engine.receive(Buffer.of(20, 3, 3, 0, 1, 1));
    const { events } = engine.receive(handshakeRecord(randomBytes(64)));
    expect(events).toContainEqual(expect.objectContaining({ type: 'alert-sent', fatal: true, alert: { code: 20, name: 'bad_record_mac' } }));
  });
});

describe('export key expansion (RFC 2246 §6.3)', () => {
  it('turns the 5-byte keys into 8-byte DES keys with the randoms, and takes the IVs from the "IV block"', () => {
    const [message] = new HandshakeReader().push(capturedHello('openssl-tls1').subarray(5));
    const hello = parseClientHello(message!.body);
    const serverRandom = randomBytes(32);
    const exportSuite = suite('EXP-EDH-RSA-DES-CBC-SHA');
    const keys = deriveKeys(randomBytes(64), { version: VERSION_CODES.TLSv1, suite: exportSuite, hello, serverRandom, extendedMasterSecret: false, transcript: [] });
    const randoms = Buffer.concat([hello.random, serverRandom]);
    const block = prf('md5-sha1', keys.masterSecret, 'key expansion', Buffer.concat([serverRandom, hello.random]), 2 * (20 + 5));
    expect(keys.client.macKey).toEqual(block.subarray(0, 20));
    expect(keys.client.key).toEqual(prf('md5-sha1', block.subarray(40, 45), 'client write key', randoms, 8));
    expect(keys.server.key).toEqual(prf('md5-sha1', block.subarray(45, 50), 'server write key', randoms, 8));
    expect(Buffer.concat([keys.client.iv, keys.server.iv])).toEqual(prf('md5-sha1', Buffer.alloc(0), 'IV block', randoms, 16));
  });
});

describe('the new suites with a real client (Node TLS) over the in-memory pipe', () => {
  const cases: Array<{ version: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2'; cipher: string; name: string; kind: 'RSA' | 'DHE' }> = [
    { version: 'TLSv1.2', cipher: 'AES128-SHA', name: 'TLS_RSA_WITH_AES_128_CBC_SHA', kind: 'RSA' },
    { version: 'TLSv1.1', cipher: 'AES128-SHA', name: 'TLS_RSA_WITH_AES_128_CBC_SHA', kind: 'RSA' },
    { version: 'TLSv1', cipher: 'AES128-SHA', name: 'TLS_RSA_WITH_AES_128_CBC_SHA', kind: 'RSA' },
    { version: 'TLSv1.2', cipher: 'AES256-SHA', name: 'TLS_RSA_WITH_AES_256_CBC_SHA', kind: 'RSA' },
    { version: 'TLSv1.2', cipher: 'AES128-GCM-SHA256', name: 'TLS_RSA_WITH_AES_128_GCM_SHA256', kind: 'RSA' },
    { version: 'TLSv1.2', cipher: 'NULL-SHA256', name: 'TLS_RSA_WITH_NULL_SHA256', kind: 'RSA' },
    { version: 'TLSv1.2', cipher: 'NULL-SHA', name: 'TLS_RSA_WITH_NULL_SHA', kind: 'RSA' },
    { version: 'TLSv1', cipher: 'NULL-MD5', name: 'TLS_RSA_WITH_NULL_MD5', kind: 'RSA' },
  ];

  it.each(cases)('$version $cipher: handshake, data both ways', async ({ version, cipher, name, kind }) => {
    const { caFile, ...config } = await engineConfig({ suites: [suite(name)] });
    const run = await runClient(new TlsServerEngine(config), { minVersion: version, maxVersion: version, ciphers: `${cipher}:@SECLEVEL=0` }, caFile);
    expect(run.error).toBeUndefined();
    expect(run.reply).toBe('echo: ping');
    expect(run.protocol).toBe(version);
    expect(run.cipher).toBe(name);
    expect(run.events).toContainEqual(expect.objectContaining({ type: 'handshake-complete', version, keyExchange: { kind, bits: 2048 } }));
    expect(run.events.some((event) => event.type === 'step' && event.step === 'ServerKeyExchange')).toBe(false);
  });

  it('an export suite is never chosen above TLS 1.0 (RFC 4346 forbids it): handshake_failure (40) to a TLS 1.2 hello', async () => {
    const { caFile: _ca, ...config } = await engineConfig({ suites: [suite('EXP-EDH-RSA-DES-CBC-SHA')], dh: '512' });
    const engine = new TlsServerEngine(config);
    const hello = capturedHello('openssl');
    // The openssl hello does not offer 0x0014; offer it in place of its first suite, same length.
    const offered = Buffer.from(hello);
    const at = offered.indexOf(Buffer.of(0x13, 0x02));
    offered.writeUInt16BE(0x0014, at);
    const { events } = engine.receive(offered);
    expect(events).toContainEqual(expect.objectContaining({ type: 'alert-sent', alert: { code: 40, name: 'handshake_failure' } }));
  });

  it('at TLS 1.0 it is chosen, with the 512-bit group in a signed ServerKeyExchange, as the Logjam servers answered', async () => {
    const { caFile: _ca, ...config } = await engineConfig({ suites: [suite('EXP-EDH-RSA-DES-CBC-SHA')], dh: '512', versions: ['TLSv1'] });
    const engine = new TlsServerEngine(config);
    const offered = Buffer.from(capturedHello('openssl-tls1'));
    offered.writeUInt16BE(0x0014, offered.indexOf(Buffer.of(0x00, 0x33, 0x00, 0xff)));
    const { events, bytes } = engine.receive(offered);
    expect(events.filter((event) => event.type === 'step').map((event) => event.type === 'step' && event.step)).toEqual(['ClientHello', 'ServerHello', 'Certificate', 'ServerKeyExchange', 'ServerHelloDone']);
    const messages = new HandshakeReader().push(new RecordReader().push(bytes).map((record) => record.fragment).reduce((all, fragment) => Buffer.concat([all, fragment])));
    expect(messages[0]!.body.readUInt16BE(34 + 1)).toBe(0x0014);
    expect(parseServerKeyExchange(messages[2]!.body, 'DHE', VERSION_CODES.TLSv1)).toMatchObject({ kind: 'DHE', p: expect.objectContaining({ length: 64 }) });
  });
});
