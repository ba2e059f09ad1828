import { X509Certificate } from 'node:crypto';

/** The DER certificates of a PEM chain, leaf first. */
export function derChain(pem: string): Buffer[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((block) => new X509Certificate(block).raw);
}
