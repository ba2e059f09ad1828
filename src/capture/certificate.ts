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
    return child.issuer === parent.subject && child.verify(parent.publicKey);
  } catch {
    return false;
  }
};

/** The OID of the signature algorithm, read with @peculiar/x509 (Node does not expose it); loaded only when a chain is judged. */
async function digestOf(der: Buffer): Promise<string> {
  const { X509Certificate: Parsed } = await import('@peculiar/x509');
  const algorithm = new Parsed(new Uint8Array(der)).signatureAlgorithm as { name: string; hash?: { name: string } };
  const byOid: Record<string, string> = { '1.2.840.113549.1.1.4': 'md5', '1.2.840.113549.1.1.2': 'md2', '1.2.840.113549.1.1.5': 'sha1' };
  return byOid[algorithm.name] ?? algorithm.hash?.name.toLowerCase().replace('-', '') ?? algorithm.name;
}

async function summarize(certificate: X509Certificate): Promise<CertificateSummary> {
  const key = certificate.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    issuer: certificate.issuer.replace(/\n/g, ', '),
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    key: key.asymmetricKeyType === 'ec' ? `ec ${details.namedCurve}` : (key.asymmetricKeyType ?? 'unknown'),
    ...(details.modulusLength ? { keyBits: details.modulusLength } : {}),
    digest: await digestOf(certificate.raw),
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
  const weak = chain.slice(0, Math.max(1, path.length - (endsInRoot || trusted ? 1 : 0))).map((summary) => summary.digest).find((digest) => ['md5', 'md2', 'sha1'].includes(digest));
  if (weak) findings.weakDigest = weak as NonNullable<ChainFindings['weakDigest']>;
  if (name) {
    findings.name = name;
    findings.nameMatches = isIP(name) ? leaf.checkIP(name) !== undefined : leaf.checkHost(name) !== undefined;
  }
  return findings;
}
