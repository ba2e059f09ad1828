// Key pairs, by spec: made off the event loop, kept on disk (0600) so that no process
// makes the same kind twice, and turned into WebCrypto keys for the X.509 builder.
import { createPrivateKey, createPublicKey, generateKeyPair, webcrypto, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { KEY_SPECS, type Digest, type KeySpec } from './profiles.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

/** A new key pair of this spec, PEM encoded. Asynchronous: a running server never waits on it. */
export function generateKey(spec: KeySpec): Promise<KeyPair> {
  const shape = KEY_SPECS[spec];
  const publicKeyEncoding = { type: 'spki', format: 'pem' } as const;
  const privateKeyEncoding = { type: 'pkcs8', format: 'pem' } as const;
  if (shape.kind === 'rsa') return generateKeyPairAsync('rsa', { modulusLength: shape.bits, publicKeyEncoding, privateKeyEncoding });
  return generateKeyPairAsync('ec', { namedCurve: shape.curve, publicKeyEncoding, privateKeyEncoding });
}

/** The key pair in a PEM file (private key only; the public half is derived), if it is one. */
export function readKey(file: string): KeyPair | undefined {
  try {
    return keyPairOf(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The pair of a PEM private key, if it is one. */
export function keyPairOf(privateKey: string): KeyPair | undefined {
  try {
    return { privateKey, publicKey: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString() };
  } catch {
    return undefined;
  }
}

const HASHES: Record<Exclude<Digest, 'md5'>, string> = { sha256: 'SHA-256', sha384: 'SHA-384', sha1: 'SHA-1' };
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/**
 * A private key as WebCrypto wants it for signing with `digest`, and the algorithm to
 * sign with. An RSA key carries its hash in WebCrypto, so each digest imports it anew.
 */
export async function signingKey(privateKeyPem: string, digest: Exclude<Digest, 'md5'>): Promise<{ key: CryptoKey; algorithm: EcdsaParams | RsaHashedImportParams }> {
  const object: KeyObject = createPrivateKey(privateKeyPem);
  const der = object.export({ type: 'pkcs8', format: 'der' });
  const hash = HASHES[digest];
  if (object.asymmetricKeyType === 'ec') {
    const namedCurve = CURVES[object.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!namedCurve) throw new Error(`unsupported curve ${object.asymmetricKeyDetails?.namedCurve}`);
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve }, false, ['sign']);
    return { key: key as CryptoKey, algorithm: { name: 'ECDSA', hash } };
  }
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash };
  const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
  return { key: key as CryptoKey, algorithm };
}

/** The DER inside the first PEM block of `pem` (a public key, a certificate). */
export function derOf(pem: string): Uint8Array<ArrayBuffer> {
  const block = /-----BEGIN [^-]+-----([^-]+)-----END/.exec(pem);
  if (!block) throw new Error('not PEM');
  return new Uint8Array(Buffer.from(block[1]!.replace(/\s/g, ''), 'base64'));
}
