// TLSA records (RFC 6698) from a certificate: the certificate association data for a usage,
// selector and matching type, as a DANE client computes it to compare.
import { createHash, X509Certificate } from 'node:crypto';

/** 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (RFC 7218's names). */
export const TLSA_USAGES = [0, 1, 2, 3] as const;
/** 0 the full certificate, 1 its SubjectPublicKeyInfo. */
export const TLSA_SELECTORS = [0, 1] as const;
/** 0 the bytes themselves, 1 SHA-256, 2 SHA-512. */
export const TLSA_MATCHING = [0, 1, 2] as const;

export interface TlsaParameters {
  usage: (typeof TLSA_USAGES)[number];
  selector: (typeof TLSA_SELECTORS)[number];
  matching: (typeof TLSA_MATCHING)[number];
}

/** `usage selector matching data` for the certificate (PEM): the TLSA record's data. */
export function tlsaData({ usage, selector, matching }: TlsaParameters, certificatePem: string): string {
  const certificate = new X509Certificate(certificatePem);
  const selected = selector === 0 ? certificate.raw : certificate.publicKey.export({ type: 'spki', format: 'der' });
  const data = matching === 0 ? selected : createHash(matching === 1 ? 'sha256' : 'sha512').update(selected).digest();
  return `${usage} ${selector} ${matching} ${data.toString('hex')}`;
}

/** The same record with its data's last byte flipped: a digest of no certificate (a stale TLSA record after a key rollover). */
export function spoiled(data: string): string {
  const last = parseInt(data.slice(-2), 16) ^ 0xff;
  return `${data.slice(0, -2)}${last.toString(16).padStart(2, '0')}`;
}
