// The server's side of a TLS 1.0-1.2 DHE_RSA handshake, as pure functions the engine
// calls at each step: the version and suite, the signed DH parameters, the keys, the
// Finished. What goes wrong is an AlertError naming the alert.
import { constants, createHash, createPublicKey, privateEncrypt, publicDecrypt, sign, type KeyObject } from 'node:crypto';
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { dhPublicValue, dhSharedSecret, toBigInt, toBytes, type DhGroup } from './groups.js';
import { dhParams, ExtensionType, parseClientDhPublic, serverKeyExchange, type ClientHello } from './messages.js';
import { prf, transcriptHash, type PrfHash } from './prf.js';
import type { DirectionKeys } from './records.js';
import { RENEGOTIATION_SCSV, VERSION_CODES, versionName, type CipherSuite, type ProtocolVersion } from './suites.js';

const { SSLv3, 'TLSv1.2': TLS12 } = VERSION_CODES;

/** The versions a ClientHello offers, newest first, up to TLS 1.2. */
export function offeredVersions(hello: ClientHello): number[] {
  const known = Object.values(VERSION_CODES);
  const list = hello.supportedVersions ?? known.filter((code) => code <= hello.version);
  return list.filter((code) => known.includes(code)).sort((a, b) => b - a);
}

/** The highest version both sides have; an old server answers with the best it knows and leaves the refusal to the client. */
export function chooseVersion(served: readonly ProtocolVersion[], hello: ClientHello): ProtocolVersion {
  const offered = offeredVersions(hello);
  const newestFirst = [...served].sort((a, b) => VERSION_CODES[b] - VERSION_CODES[a]);
  const common = newestFirst.find((name) => offered.includes(VERSION_CODES[name]));
  const [best] = newestFirst;
  const lowest = newestFirst[newestFirst.length - 1];
  if (best === undefined || lowest === undefined) throw new AlertError('the engine serves no version', ALERT.internalError);
  if (common === undefined && VERSION_CODES[lowest] > Math.max(...offered, 0)) {
    throw new AlertError(`the client offers ${offered.map(versionName).join(', ') || 'nothing'}; the server serves ${served.join(', ')}`, ALERT.protocolVersion);
  }
  return common ?? best;
}

export function chooseSuite(suites: readonly CipherSuite[], hello: ClientHello, version: number): CipherSuite {
  const suite = suites.find((candidate) => hello.cipherSuites.includes(candidate.code) && (!candidate.tls12Only || version === TLS12));
  if (!suite) throw new AlertError('no cipher suite in common (the engine serves DHE_RSA only)', ALERT.handshakeFailure);
  return suite;
}

/** The ServerHello's extensions: renegotiation_info (RFC 5746) unless told to leave it out, extended_master_secret. */
export function helloExtensions(hello: ClientHello, extendedMasterSecret: boolean, renegotiationInfo: boolean): Array<[number, Buffer]> {
  const extensions: Array<[number, Buffer]> = [];
  const secureRenegotiation = hello.renegotiationInfo !== undefined || hello.cipherSuites.includes(RENEGOTIATION_SCSV);
  if (secureRenegotiation && renegotiationInfo) extensions.push([ExtensionType.RenegotiationInfo, Buffer.of(0)]);
  if (extendedMasterSecret) extensions.push([ExtensionType.ExtendedMasterSecret, Buffer.alloc(0)]);
  return extensions;
}

export function usesExtendedMasterSecret(hello: ClientHello, version: number): boolean {
  return hello.extendedMasterSecret && version !== SSLv3;
}

export function prfHashOf(version: number, suite: CipherSuite): PrfHash {
  return version === TLS12 ? suite.prfHash : 'md5-sha1';
}

/** RFC 5246 §7.4.1.4.1: the client's signature_algorithms, else SHA-1. */
const RSA_SIGNATURE_HASHES: ReadonlyArray<[number, string]> = [
  [0x0401, 'sha256'],
  [0x0501, 'sha384'],
  [0x0601, 'sha512'],
  [0x0201, 'sha1'],
];

export interface KeyExchangeInput {
  group: DhGroup;
  key: KeyObject;
  version: number;
  hello: ClientHello;
  serverRandom: Buffer;
  random: (length: number) => Buffer;
  /** Spoil the signature (script: corrupt: ske-signature). */
  corrupt: boolean;
}

/** The ServerKeyExchange message, and the private exponent its public value came from. */
export function signedKeyExchange({ group, key, version, hello, serverRandom, random, corrupt }: KeyExchangeInput): { message: Buffer; privateExponent: bigint } {
  // A short exponent, as servers use: 256 bits is the strength of the best group served.
  const exponentBits = Math.min(256, group.bits - 2);
  // In a small subgroup an exponent can land on the identity (1 in 7 for small-subgroup),
  // which clients reject as a different fault; the scenario is about the subgroup, so draw again.
  let privateExponent: bigint;
  let publicValue: bigint;
  do {
    privateExponent = (toBigInt(random(Math.ceil(exponentBits / 8))) % (1n << BigInt(exponentBits))) | 2n;
    publicValue = dhPublicValue(group, privateExponent);
  } while (publicValue <= 1n || publicValue >= group.p - 1n);
  const params = dhParams(toBytes(group.p), toBytes(group.g), toBytes(publicValue, Math.ceil(group.bits / 8)));
  const signed = Buffer.concat([hello.random, serverRandom, params]);
  let signature: Buffer;
  let algorithm: number | undefined;
  if (version === TLS12) {
    const offered = hello.signatureAlgorithms ?? [0x0201];
    const choice = RSA_SIGNATURE_HASHES.find(([code]) => offered.includes(code));
    if (!choice) throw new AlertError('the client accepts no RSA PKCS#1 signature the engine makes', ALERT.handshakeFailure);
    algorithm = choice[0];
    signature = sign(choice[1], signed, key);
  } else {
    // TLS 1.0/1.1 (and SSLv3): MD5 and SHA-1 side by side, PKCS#1 without DigestInfo.
    const digest = Buffer.concat([createHash('md5').update(signed).digest(), createHash('sha1').update(signed).digest()]);
    signature = privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digest);
  }
  return { message: serverKeyExchange(params, corrupt ? spoiled(signature, key) : signature, algorithm), privateExponent };
}

/**
 * The signature with its lowest bit flipped, so it no longer verifies; flipped further
 * while the block it decrypts to starts with a zero byte, since OpenSSL then says "block
 * type is not 01" (1 time in 256) instead of the "invalid padding" clients print for it.
 */
function spoiled(signature: Buffer, key: KeyObject): Buffer {
  const publicKey = createPublicKey(key);
  for (let bit = 0; bit < 8 * signature.length; bit++) {
    const copy = Buffer.from(signature);
    copy[copy.length - 1 - (bit >> 3)]! ^= 1 << (bit & 7);
    try {
      if (publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, copy)[0] !== 0) return copy;
    } catch {
      // over the modulus: try the next bit
    }
  }
  throw new Error('no bit of the signature spoils it cleanly');
}

export interface SessionKeys {
  masterSecret: Buffer;
  client: DirectionKeys;
  server: DirectionKeys;
}

export interface KeyDerivationInput {
  version: number;
  suite: CipherSuite;
  group: DhGroup;
  hello: ClientHello;
  serverRandom: Buffer;
  privateExponent: bigint;
  extendedMasterSecret: boolean;
  /** The handshake messages so far, ClientKeyExchange included. */
  transcript: readonly Buffer[];
}

/** From the client's DH public value to the master secret and both directions' keys. */
export function deriveKeys(clientKeyExchange: Buffer, input: KeyDerivationInput): SessionKeys {
  const { version, suite, group, hello, serverRandom } = input;
  if (version === SSLv3) throw new AlertError('the client accepted SSLv3; the engine only plays its hello, not its key derivation', ALERT.handshakeFailure);
  const clientPublic = toBigInt(parseClientDhPublic(clientKeyExchange));
  if (clientPublic <= 1n || clientPublic >= group.p - 1n) throw new AlertError('the client DH public value is out of range', ALERT.illegalParameter);
  const preMasterSecret = toBytes(dhSharedSecret(group, clientPublic, input.privateExponent));
  const hash = prfHashOf(version, suite);
  const masterSecret = input.extendedMasterSecret
    ? prf(hash, preMasterSecret, 'extended master secret', transcriptHash(hash, input.transcript), 48)
    : prf(hash, preMasterSecret, 'master secret', Buffer.concat([hello.random, serverRandom]), 48);
  const { macLength, keyLength, ivLength } = suite;
  const block = prf(hash, masterSecret, 'key expansion', Buffer.concat([serverRandom, hello.random]), 2 * (macLength + keyLength + ivLength));
  let offset = 0;
  const take = (n: number) => block.subarray(offset, (offset += n));
  const [clientMac, serverMac, clientKey, serverKey, clientIv, serverIv] = [macLength, macLength, keyLength, keyLength, ivLength, ivLength].map(take) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  return {
    masterSecret,
    client: { suite, key: clientKey, macKey: clientMac, iv: clientIv },
    server: { suite, key: serverKey, macKey: serverMac, iv: serverIv },
  };
}

/** The verify_data of a Finished: `label` is "client finished" or "server finished". */
export function finishedData(version: number, suite: CipherSuite, masterSecret: Buffer, label: string, transcript: readonly Buffer[]): Buffer {
  const hash = prfHashOf(version, suite);
  return prf(hash, masterSecret, label, transcriptHash(hash, transcript), 12);
}
