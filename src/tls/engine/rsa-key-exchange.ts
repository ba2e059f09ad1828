// Static RSA key exchange (RFC 5246 §7.4.7.1): the client encrypts a premaster secret to the
// certificate's key with PKCS#1 v1.5, so there is no ServerKeyExchange and no forward
// secrecy. Node 20.11 and later refuse PKCS#1 v1.5 private decryption (CVE-2023-46809), so
// the engine takes the raw RSA operation from Node (RSA_NO_PADDING) and checks the padding
// itself (RFC 8017 §7.2.2). Bad padding, a wrong length or a wrong version never shows: the
// premaster becomes random bytes and the Finished fails, as RFC 5246 asks against
// Bleichenbacher's attack. Constant time is not a goal of a test server; that rule is.
import { constants, privateDecrypt, type KeyObject } from 'node:crypto';
import { ALERT } from '../alerts.js';
import { AlertError } from './alert-error.js';
import type { KeyExchangeInput, KeyExchangeMethod, KeyExchangeStart, PendingKeyExchange } from './key-exchange.js';
import { parseEncryptedPremaster } from './messages.js';

const PREMASTER_LENGTH = 48;

/** The message of a PKCS#1 v1.5 encryption block (00 02 PS 00 M, PS at least 8 nonzero bytes); undefined when the padding is wrong. */
export function pkcs1v15Message(block: Buffer): Buffer | undefined {
  if (block[0] !== 0x00 || block[1] !== 0x02) return undefined;
  const separator = block.indexOf(0x00, 2);
  if (separator < 10) return undefined;
  return block.subarray(separator + 1);
}

/** The premaster secret a server takes from the decrypted block (RFC 5246 §7.4.7.1): the client's version and 46 bytes, the random ones when anything is wrong. */
export function premasterFromBlock(block: Buffer | undefined, clientVersion: number, random46: Buffer): Buffer {
  const message = block && pkcs1v15Message(block);
  const version = Buffer.of(clientVersion >> 8, clientVersion & 0xff);
  const usable = message !== undefined && message.length === PREMASTER_LENGTH;
  return Buffer.concat([version, usable ? message.subarray(2) : random46]);
}

class RsaPending implements PendingKeyExchange {
  readonly kind = 'RSA';
  readonly bits: number;

  constructor(
    private readonly key: KeyObject,
    /** ClientHello.client_version: the premaster's first two bytes must be it, not the version chosen. */
    private readonly clientVersion: number,
    private readonly random: (length: number) => Buffer,
  ) {
    this.bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  }

  premasterSecret(clientKeyExchange: Buffer): Buffer {
    // Drawn before decrypting, whatever comes of it (RFC 5246 §7.4.7.1, step 1).
    const random46 = this.random(PREMASTER_LENGTH - 2);
    const encrypted = parseEncryptedPremaster(clientKeyExchange);
    if (encrypted.length !== Math.ceil(this.bits / 8)) throw new AlertError('the encrypted premaster is not as long as the RSA modulus', ALERT.decodeError);
    let block: Buffer;
    try {
      block = privateDecrypt({ key: this.key, padding: constants.RSA_NO_PADDING }, encrypted);
    } catch {
      // Only a value over the modulus fails the raw operation, and that anyone can see.
      throw new AlertError('the encrypted premaster is not below the RSA modulus', ALERT.decryptError);
    }
    return premasterFromBlock(block, this.clientVersion, random46);
  }
}

export const staticRsa: KeyExchangeMethod = {
  start({ key, hello, random }: KeyExchangeInput): KeyExchangeStart {
    if (key.asymmetricKeyType !== 'rsa') throw new AlertError('static RSA key exchange needs an RSA certificate key', ALERT.handshakeFailure);
    return { pending: new RsaPending(key, hello.version, random) };
  },
};
