// DHE_RSA key exchange (RFC 5246 §7.4.3, and its export variant of RFC 2246): the group's
// parameters and a fresh public value, signed with the certificate's RSA key; the premaster
// is the shared secret with the client's public value.
import { constants, createHash, createPublicKey, privateEncrypt, publicDecrypt, sign, type KeyObject } from 'node:crypto';
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import { dhPublicValue, dhSharedSecret, toBigInt, toBytes, type DhGroup } from './groups.js';
import type { KeyExchangeMethod, PendingKeyExchange } from './key-exchange.js';
import { dhParams, parseClientDhPublic, serverKeyExchange, type ClientHello } from './messages.js';
import { VERSION_CODES } from './suites.js';

/** RFC 5246 §7.4.1.4.1: the client's signature_algorithms, else SHA-1. */
const RSA_SIGNATURE_HASHES: ReadonlyArray<[number, string]> = [
  [0x0401, 'sha256'],
  [0x0501, 'sha384'],
  [0x0601, 'sha512'],
  [0x0201, 'sha1'],
];

class DhePending implements PendingKeyExchange {
  readonly kind = 'DHE';
  readonly bits: number;

  constructor(
    private readonly group: DhGroup,
    private readonly privateExponent: bigint,
  ) {
    this.bits = group.bits;
  }

  premasterSecret(clientKeyExchange: Buffer): Buffer {
    const clientPublic = toBigInt(parseClientDhPublic(clientKeyExchange));
    if (clientPublic <= 1n || clientPublic >= this.group.p - 1n) throw new AlertError('the client DH public value is out of range', ALERT.illegalParameter);
    return toBytes(dhSharedSecret(this.group, clientPublic, this.privateExponent));
  }
}

export const dheRsa: KeyExchangeMethod = {
  start({ group, key, version, hello, serverRandom, random, corrupt }) {
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
    const { signature, algorithm } = signParams(Buffer.concat([hello.random, serverRandom, params]), key, version, hello);
    const message = serverKeyExchange(params, corrupt ? spoiled(signature, key) : signature, algorithm);
    return { message, pending: new DhePending(group, privateExponent) };
  },
};

function signParams(signed: Buffer, key: KeyObject, version: number, hello: ClientHello): { signature: Buffer; algorithm?: number } {
  if (version === VERSION_CODES['TLSv1.2']) {
    const offered = hello.signatureAlgorithms ?? [0x0201];
    const choice = RSA_SIGNATURE_HASHES.find(([code]) => offered.includes(code));
    if (!choice) throw new AlertError('the client accepts no RSA PKCS#1 signature the engine makes', ALERT.handshakeFailure);
    return { signature: sign(choice[1], signed, key), algorithm: choice[0] };
  }
  // TLS 1.0/1.1 (and SSLv3): MD5 and SHA-1 side by side, PKCS#1 without DigestInfo.
  const digest = Buffer.concat([createHash('md5').update(signed).digest(), createHash('sha1').update(signed).digest()]);
  return { signature: privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digest) };
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
