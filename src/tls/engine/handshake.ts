// The server's side of a TLS 1.0-1.2 handshake, as pure functions the engine calls at each
// step: the version and suite, the key exchange the suite names, the keys, the Finished.
// What goes wrong is an AlertError naming the alert.
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import type { DirectionKeys } from './ciphers.js';
import { dheRsa } from './dhe-key-exchange.js';
import type { KeyExchangeInput, KeyExchangeMethod, KeyExchangeStart } from './key-exchange.js';
import { ExtensionType, type ClientHello } from './messages.js';
import { prf, transcriptHash, type PrfHash } from './prf.js';
import { staticRsa } from './rsa-key-exchange.js';
import { RENEGOTIATION_SCSV, suiteFitsVersion, VERSION_CODES, versionName, type CipherSuite, type ProtocolVersion } from './suites.js';

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
  const suite = suites.find((candidate) => hello.cipherSuites.includes(candidate.code) && suiteFitsVersion(candidate, version));
  if (!suite) throw new AlertError(`no cipher suite in common (the server has ${suites.map((candidate) => candidate.openssl).join(', ')})`, ALERT.handshakeFailure);
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

/** The server's side of the suite's key exchange, up to the ClientKeyExchange. */
export function startKeyExchange(suite: CipherSuite, input: KeyExchangeInput): KeyExchangeStart {
  return KEY_EXCHANGES[suite.keyExchange].start(input);
}

const KEY_EXCHANGES: Readonly<Record<CipherSuite['keyExchange'], KeyExchangeMethod>> = { DHE: dheRsa, RSA: staticRsa };

export interface SessionKeys {
  masterSecret: Buffer;
  client: DirectionKeys;
  server: DirectionKeys;
}

export interface KeyDerivationInput {
  version: number;
  suite: CipherSuite;
  hello: ClientHello;
  serverRandom: Buffer;
  extendedMasterSecret: boolean;
  /** The handshake messages so far, ClientKeyExchange included. */
  transcript: readonly Buffer[];
}

/** From the premaster secret to the master secret and both directions' keys (RFC 5246 §6.3, §8.1; RFC 7627). */
export function deriveKeys(preMasterSecret: Buffer, input: KeyDerivationInput): SessionKeys {
  const { version, suite, hello, serverRandom } = input;
  if (version === SSLv3) throw new AlertError('the client accepted SSLv3; the engine only plays its hello, not its key derivation', ALERT.handshakeFailure);
  const hash = prfHashOf(version, suite);
  const masterSecret = input.extendedMasterSecret
    ? prf(hash, preMasterSecret, 'extended master secret', transcriptHash(hash, input.transcript), 48)
    : prf(hash, preMasterSecret, 'master secret', Buffer.concat([hello.random, serverRandom]), 48);
  const { macLength, keyLength, ivLength } = suite;
  const block = prf(hash, masterSecret, 'key expansion', Buffer.concat([serverRandom, hello.random]), 2 * (macLength + keyLength + ivLength));
  let offset = 0;
  const take = (n: number) => block.subarray(offset, (offset += n));
  const [clientMac, serverMac, clientKey, serverKey, clientIv, serverIv] = [macLength, macLength, keyLength, keyLength, ivLength, ivLength].map(take) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
  const keys = {
    masterSecret,
    client: { suite, key: clientKey, macKey: clientMac, iv: clientIv },
    server: { suite, key: serverKey, macKey: serverMac, iv: serverIv },
  };
  return suite.exportable ? expandExportKeys(keys, Buffer.concat([hello.random, serverRandom])) : keys;
}

/** RFC 2246 §6.3: an export suite's 5-byte keys become 8-byte DES keys, and its IVs come from the randoms alone. */
function expandExportKeys(keys: SessionKeys, randoms: Buffer): SessionKeys {
  const ivBlock = prf('md5-sha1', Buffer.alloc(0), 'IV block', randoms, 16);
  return {
    masterSecret: keys.masterSecret,
    client: { ...keys.client, key: prf('md5-sha1', keys.client.key, 'client write key', randoms, 8), iv: ivBlock.subarray(0, 8) },
    server: { ...keys.server, key: prf('md5-sha1', keys.server.key, 'server write key', randoms, 8), iv: ivBlock.subarray(8) },
  };
}

/** The verify_data of a Finished: `label` is "client finished" or "server finished". */
export function finishedData(version: number, suite: CipherSuite, masterSecret: Buffer, label: string, transcript: readonly Buffer[]): Buffer {
  const hash = prfHashOf(version, suite);
  return prf(hash, masterSecret, label, transcriptHash(hash, transcript), 12);
}
