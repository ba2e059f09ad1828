// What serving a certificate profile takes besides the PEM files: the CRL its issuer
// publishes at the distribution point it names (served here, on a port of our own), the
// OCSP answer a server staples, and a second certificate for clients that name another host.
import type { CertificateCache, ServedCertificate } from './cache.js';
import { CERT_PROFILES, type CertProfile, type CertProfileName, type KeySpec } from './profiles.js';
import { crlPath, serveRevocation, type RevocationRequest, type RevocationServer } from './revocation-server.js';

export interface TlsMaterialRequest {
  cert: CertProfileName;
  /** Told when a key has to be made first (an RSA-8192 key takes seconds to a minute). */
  onKeyGeneration?: ((spec: KeySpec) => void) | undefined;
  sniFallback?: CertProfileName | undefined;
  staple?: 'ocsp' | undefined;
}

/** The OCSP response to staple (DER), and what it says. */
export interface OcspStaple {
  response: Buffer;
  status: 'good' | 'revoked';
}

export interface TlsMaterial {
  certificate: ServedCertificate;
  /** Served to clients whose SNI does not name the server. */
  sniFallback?: ServedCertificate;
  ocspStaple?: OcspStaple;
  /** Running while the scenario serves: close it with the scenario. */
  revocation?: RevocationServer;
  /** Where the served certificate's CRL is published. */
  crlUrl?: string;
}

export async function prepareTlsMaterial(
  cache: CertificateCache,
  request: TlsMaterialRequest,
  host: string,
  onRevocationRequest: (request: RevocationRequest) => void,
): Promise<TlsMaterial> {
  const profiles = [request.cert, ...(request.sniFallback ? [request.sniFallback] : [])];
  const needsCrl = profiles.some((name) => CERT_PROFILES[name].crlDistributionPoint);
  const revocation = needsCrl ? await serveRevocation(host, onRevocationRequest) : undefined;
  try {
    const issueOptions = { ...(revocation ? { revocationBase: revocation.base } : {}), ...(request.onKeyGeneration ? { onKeyGeneration: request.onKeyGeneration } : {}) };
    const [certificate, sniFallback] = await Promise.all(profiles.map((name) => cache.get(name, undefined, issueOptions)));
    if (revocation) await publishCrls(cache, revocation, [certificate!, ...(sniFallback ? [sniFallback] : [])]);
    const status = (CERT_PROFILES[request.cert] as CertProfile).revoked ? 'revoked' : 'good';
    return {
      certificate: certificate!,
      ...(sniFallback ? { sniFallback } : {}),
      ...(request.staple ? { ocspStaple: { response: await cache.ocspResponse(certificate!), status } } : {}),
      ...(revocation ? { revocation } : {}),
      ...(revocation && CERT_PROFILES[request.cert].crlDistributionPoint ? { crlUrl: `${revocation.base}${crlPath(CERT_PROFILES[request.cert].issuer)}` } : {}),
    };
  } catch (error) {
    await revocation?.close();
    throw error;
  }
}

/** One CRL per issuer that a served certificate names, listing the served ones that are revoked. */
async function publishCrls(cache: CertificateCache, revocation: RevocationServer, certificates: ServedCertificate[]): Promise<void> {
  const byIssuer = new Map<string, string[]>();
  for (const certificate of certificates) {
    const profile: CertProfile = CERT_PROFILES[certificate.profile];
    if (!profile.crlDistributionPoint || profile.issuer === 'self') continue;
    const revoked = byIssuer.get(profile.issuer) ?? [];
    if (profile.revoked) revoked.push(certificate.serial);
    byIssuer.set(profile.issuer, revoked);
  }
  for (const [issuer, serials] of byIssuer) revocation.publish(crlPath(issuer), await cache.crl(issuer, serials));
}
