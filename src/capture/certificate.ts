// The certificate chain as the server sent it, judged as a verifying client would: the
// order, whether it reaches a trusted root, the dates, the key, the signature digest and
// the name. The server's own certificate and key never leave this file: a capture keeps
// only what is wrong with them.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';

export interface CertificateSummary {
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  key: string;
  keyBits?: number;
  digest: string;
  selfSigned: boolean;
  /** It carries the TLS Feature extension (status_request): "must staple". */
  mustStaple?: boolean;
}

export interface ChainFindings {
  chain: CertificateSummary[];
  /** Every sent certificate certifies the one before it. */
  inOrder: boolean;
  /** The path from the leaf reaches the trust store. */
  trusted: boolean;
  /** The leaf signs itself and is not trusted. */
  selfSigned: boolean;
  /** The path ends at a root that was sent but is not trusted. */
  untrustedRoot: boolean;
  /** The issuer of the last certificate on the path, when it is neither sent nor trusted. */
  missingIssuer?: string;
  /** The leaf names where its issuer's certificate can be fetched (AIA): a left-out intermediate, likely. */
  issuerPublished: boolean;
  expired: boolean;
  notYetValid: boolean;
  /** An intermediate on the path to the trusted root has expired. */
  expiredIntermediate?: string;
  /** The host name (or IP address) asked for, and whether the leaf names it. */
  name?: string;
  nameMatches?: boolean;
  weakDigest?: 'md5' | 'sha1' | 'md2';
}

/** The system's bundle where one is known (Debian, RHEL, Alpine), else Node's own copy of Mozilla's. */
export function loadTrustStore(extraCaFile?: string): X509Certificate[] {
  const bundle = [process.env.SSL_CERT_FILE, '/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'].find(
    (file): file is string => Boolean(file) && existsSync(file!),
  );
  const pems = bundle ? splitPem(readFileSync(bundle, 'latin1')) : [...rootCertificates];
  if (extraCaFile) pems.push(...splitPem(readFileSync(extraCaFile, 'latin1')));
  return pems.flatMap((pem) => {
    try {
      return [new X509Certificate(pem)];
    } catch {
      return [];
    }
  });
}

const splitPem = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

/**
 * By name and signature only: OpenSSL's checkIssued also wants the issuer's keyUsage to allow
 * certificate signing, which a self-signed server certificate seldom has (OpenSSL still calls
 * it error 18, self-signed).
 */
const issued = (child: X509Certificate, parent: X509Certificate) => {
  try {
    return child.issuer !== undefined && child.issuer === parent.subject && child.verify(parent.publicKey);
  } catch {
    return false;
  }
};

/** Signature algorithms by OID, named by their hash (RSA, ECDSA and DSA alike). */
const SIGNATURE_DIGESTS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.2': 'md2',
  '1.2.840.113549.1.1.4': 'md5',
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10040.4.3': 'sha1',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.10': 'rsassa-pss',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};
/** RFC 7633's TLS Feature extension ("must staple"). */
const TLS_FEATURE = '1.3.6.1.5.5.7.1.24';

/**
 * What Node's X509Certificate does not say: the signature algorithm and the TLS Feature
 * extension, read with pkijs (loaded only when a chain is judged).
 */
async function parsedDetails(der: Buffer): Promise<{ digest: string; mustStaple: boolean }> {
  const { Certificate } = await import('pkijs');
  try {
    const parsed = Certificate.fromBER(new Uint8Array(der));
    const oid = parsed.signatureAlgorithm.algorithmId;
    return { digest: SIGNATURE_DIGESTS[oid] ?? oid, mustStaple: (parsed.extensions ?? []).some((extension) => extension.extnID === TLS_FEATURE) };
  } catch {
    // asn1js gives up on very large certificates (thousands of names): nothing more to say.
    return { digest: 'unknown', mustStaple: false };
  }
}

async function summarize(certificate: X509Certificate): Promise<CertificateSummary> {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  return {
    // Node says undefined for an empty subject (the names only in the subjectAltName).
    subject: (certificate.subject ?? '').replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    key: key.asymmetricKeyType === 'ec' ? `ec ${details.namedCurve}` : (key.asymmetricKeyType ?? 'unknown'),
    ...(details.modulusLength ? { keyBits: details.modulusLength } : {}),
    ...(await parsedDetails(certificate.raw)),
    selfSigned: issued(certificate, certificate),
  };
}

export async function judgeChain(ders: readonly Buffer[], trustStore: readonly X509Certificate[], name: string | undefined, now = new Date()): Promise<ChainFindings> {
  const sent = ders.map((der) => new X509Certificate(der));
  const leaf = sent[0]!;
  const chain = await Promise.all(sent.map(summarize));
  const isTrusted = (certificate: X509Certificate) => trustStore.some((root) => root.fingerprint256 === certificate.fingerprint256 || issued(certificate, root));
  // Follow issuers from the leaf: among what was sent (in any order), then the trust store.
  let current = leaf;
  const path = [leaf];
  let trusted = isTrusted(leaf);
  while (!trusted && !issued(current, current)) {
    const parent = sent.find((candidate) => !path.includes(candidate) && issued(current, candidate));
    if (!parent) break;
    path.push(parent);
    current = parent;
    trusted = isTrusted(current);
  }
  const endsInRoot = !trusted && issued(current, current);
  const findings: ChainFindings = {
    chain,
    inOrder: sent.every((certificate, index) => index === 0 || issued(sent[index - 1]!, certificate)),
    trusted,
    selfSigned: !trusted && path.length === 1 && endsInRoot,
    untrustedRoot: path.length > 1 && endsInRoot,
    issuerPublished: /CA Issuers/i.test(leaf.infoAccess ?? ''),
    expired: new Date(leaf.validTo) < now,
    notYetValid: new Date(leaf.validFrom) > now,
  };
  if (!trusted && !endsInRoot) findings.missingIssuer = current.issuer.replace(/\n/g, ', ');
  // Every signature on the path counts but a root's own: a root sent, or one the store holds
  // as it was sent (an intermediate the store's root signed is checked like any other).
  const anchorSent = endsInRoot || (trusted && trustStore.some((root) => root.fingerprint256 === current.fingerprint256));
  const signed = path.slice(0, Math.max(1, path.length - (anchorSent ? 1 : 0)));
  const weak = signed.map((certificate) => chain[sent.indexOf(certificate)]!.digest).find((digest) => ['md5', 'md2', 'sha1'].includes(digest));
  if (weak) findings.weakDigest = weak as NonNullable<ChainFindings['weakDigest']>;
  const expiredIntermediate = signed.slice(1).find((certificate) => new Date(certificate.validTo) < now);
  if (expiredIntermediate) findings.expiredIntermediate = (expiredIntermediate.subject ?? '').replace(/\n/g, ', ');
  if (name) {
    findings.name = name;
    findings.nameMatches = isIP(name) ? leaf.checkIP(name) !== undefined : leaf.checkHost(name) !== undefined;
  }
  return findings;
}
