// From a judged chain to the one certificate profile (src/certs/profiles.ts) that makes
// clients fail the same way. A verifying OpenSSL client stops at its first error, in this
// order: the chain (18, 19, 20/21), the key and digest levels (66, 68), the name (62), the
// dates (9, 10); the profile is the first defect in that order, and the rest are notes.
import type { CertProfileName } from '../certs/profiles.js';
import type { ChainFindings } from './certificate.js';

export interface CertificatePlan {
  profile: CertProfileName;
  defects: string[];
  notes: string[];
}

export function planCertificate(chain: ChainFindings): CertificatePlan {
  const leaf = chain.chain[0]!;
  const found: Array<[CertProfileName, string]> = [];
  if (chain.selfSigned) found.push(['self-signed', 'the certificate is self-signed']);
  if (chain.untrustedRoot) found.push(['untrusted-root', `the chain ends at a root that is not trusted (${chain.chain[chain.chain.length - 1]!.subject})`]);
  if (chain.missingIssuer) {
    // To a client the two look the same: an issuer neither sent nor trusted. A leaf that says
    // where its issuer's certificate lives (AIA) most likely lost its intermediate.
    found.push(chain.issuerPublished ? ['incomplete-chain', `the intermediate is not sent (issuer ${chain.missingIssuer})`] : ['unknown-ca', `signed by a CA that is neither sent nor trusted (${chain.missingIssuer})`]);
  }
  if (leaf.key === 'rsa' && leaf.keyBits !== undefined && leaf.keyBits < 2048) found.push([leaf.keyBits < 1024 ? 'weak-key-512' : 'weak-key-1024', `an RSA key of ${leaf.keyBits} bits`]);
  if (chain.weakDigest) found.push([chain.weakDigest === 'sha1' ? 'sha1-signed' : 'md5-signed', `signed with ${chain.weakDigest.toUpperCase()}`]);
  if (chain.nameMatches === false) found.push(['wrong-host', `the certificate does not name ${chain.name}`]);
  if (chain.notYetValid) found.push(['not-yet-valid', `not valid before ${leaf.notBefore}`]);
  if (chain.expired) found.push(['expired', `the certificate expired ${leaf.notAfter}`]);
  const notes: string[] = [];
  if (!chain.inOrder) notes.push('the chain is sent out of order (not reproduced: every profile sends its chain in order)');
  if (leaf.key !== 'rsa') notes.push(`the key is ${leaf.key} (not reproduced: every profile has an RSA key)`);
  if (leaf.key === 'rsa' && leaf.keyBits !== undefined && leaf.keyBits !== 512 && leaf.keyBits !== 1024 && leaf.keyBits < 2048) {
    notes.push(`the key has ${leaf.keyBits} bits; served with the nearest weak profile`);
  }
  for (const [, defect] of found.slice(1)) notes.push(`also: ${defect} (not reproduced: a scenario serves one certificate profile)`);
  const [first] = found;
  if (first) return { profile: first[0], defects: [first[1]], notes };
  // An intermediate sent is good-chain; a root sent along with the leaf changes nothing for a client.
  return { profile: chain.chain.slice(1).some((certificate) => !certificate.selfSigned) ? 'good-chain' : 'valid', defects: [], notes };
}
