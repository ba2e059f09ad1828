// The TLS pseudo-random functions (RFC 2246 §5 for TLS 1.0/1.1, RFC 5246 §5 for TLS 1.2).
// Node exposes HMAC but not the TLS PRF itself.
import { createHash, createHmac } from 'node:crypto';

export type PrfHash = 'md5-sha1' | 'sha256' | 'sha384';

/** P_hash: HMAC chained until `length` bytes exist. */
function pHash(hash: string, secret: Buffer, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  let produced = 0;
  let a = seed;
  while (produced < length) {
    a = createHmac(hash, secret).update(a).digest();
    const block = createHmac(hash, secret).update(a).update(seed).digest();
    out.push(block);
    produced += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

export function prf(hash: PrfHash, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const labelAndSeed = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  if (hash !== 'md5-sha1') return pHash(hash, secret, labelAndSeed, length);
  // TLS 1.0/1.1: the secret's halves (overlapping by one byte when odd) feed MD5 and SHA-1, XORed.
  const half = Math.ceil(secret.length / 2);
  const md5 = pHash('md5', secret.subarray(0, half), labelAndSeed, length);
  const sha1 = pHash('sha1', secret.subarray(secret.length - half), labelAndSeed, length);
  for (let i = 0; i < length; i++) md5[i]! ^= sha1[i]!;
  return md5;
}

/** The transcript hash Finished and the extended master secret use, per version. */
export function transcriptHash(hash: PrfHash, messages: readonly Buffer[]): Buffer {
  if (hash !== 'md5-sha1') {
    const digest = createHash(hash);
    for (const message of messages) digest.update(message);
    return digest.digest();
  }
  const md5 = createHash('md5');
  const sha1 = createHash('sha1');
  for (const message of messages) {
    md5.update(message);
    sha1.update(message);
  }
  return Buffer.concat([md5.digest(), sha1.digest()]);
}
