// What serving certificate profiles takes besides the PEM files: the CRL an issuer
// publishes at the distribution point a certificate names (served here, on a port of our
// own), the OCSP answer a server staples, and a second certificate for clients that name
// another host. One TlsSource serves one scenario (startScenario) or many (the control
// API): each certificate is read, or made, once, and one CRL server answers for all.
import type { CertificateCache, ServedCertificate } from './cache.js';
import { CERT_PROFILES, madeWhenServed, SERVED_PROFILE_NAMES, type CertProfile, type CertProfileName, type KeySpec } from './profiles.js';
import { crlPath, serveRevocation, type RevocationRequest, type RevocationServer } from './revocation-server.js';

export interface TlsMaterialRequest {
  cert: CertProfileName;
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
  /** Where the served certificate's CRL is published. */
  crlUrl?: string;
}

export interface TlsSourceOptions {
  /** The address the CRL server listens on: the scenario's own (loopback by default). */
  host: string;
  onRevocationRequest: (request: RevocationRequest) => void;
  /** Told when a key has to be made first (an RSA-8192 key takes seconds to a minute). */
  onKeyGeneration?: ((spec: KeySpec) => void) | undefined;
  /** Told when a certificate has to be made (not found in the cache, or stale). */
  onGenerate?: ((profile: string) => void) | undefined;
}

export class TlsSource {
  private readonly certificates = new Map<CertProfileName, Promise<ServedCertificate>>();
  private readonly staples = new Map<CertProfileName, Promise<OcspStaple>>();
  /** Per issuer, the serials of the revoked certificates served: what its CRL lists. */
  private readonly revokedSerials = new Map<string, Set<string>>();
  private revocation: Promise<RevocationServer> | undefined;

  constructor(
    private readonly cache: CertificateCache,
    private readonly options: TlsSourceOptions,
  ) {}

  /** Reads (or makes) now every profile a scenario may serve but those made when served. */
  async preload(): Promise<void> {
    for (const profile of SERVED_PROFILE_NAMES) if (!madeWhenServed(CERT_PROFILES[profile])) await this.certificate(profile);
  }

  /** What a scenario's `tls` serves. */
  async material(request: TlsMaterialRequest): Promise<TlsMaterial> {
    const [certificate, sniFallback] = await Promise.all([this.certificate(request.cert), request.sniFallback ? this.certificate(request.sniFallback) : undefined]);
    const profile: CertProfile = CERT_PROFILES[request.cert];
    return {
      certificate: certificate!,
      ...(sniFallback ? { sniFallback } : {}),
      ...(request.staple ? { ocspStaple: await this.staple(certificate!) } : {}),
      ...(profile.crlDistributionPoint ? { crlUrl: `${(await this.revocationServer()).base}${crlPath(profile.issuer)}` } : {}),
    };
  }

  /** Stops the CRL server, if one was started. */
  async close(): Promise<void> {
    const revocation = this.revocation;
    this.revocation = undefined;
    await (await revocation?.catch(() => undefined))?.close();
  }

  private certificate(name: CertProfileName): Promise<ServedCertificate> {
    let certificate = this.certificates.get(name);
    if (!certificate) {
      certificate = this.make(name);
      certificate.catch(() => this.certificates.delete(name));
      this.certificates.set(name, certificate);
    }
    return certificate;
  }

  private async make(name: CertProfileName): Promise<ServedCertificate> {
    const profile: CertProfile = CERT_PROFILES[name];
    const { onKeyGeneration, onGenerate } = this.options;
    const issue = { ...(onKeyGeneration ? { onKeyGeneration } : {}), ...(onGenerate ? { onGenerate } : {}) };
    if (!profile.crlDistributionPoint) return this.cache.get(name, undefined, issue);
    const revocation = await this.revocationServer();
    const certificate = await this.cache.get(name, undefined, { ...issue, revocationBase: revocation.base });
    if (profile.issuer !== 'self') await this.publishCrl(revocation, profile.issuer, profile.revoked ? certificate.serial : undefined);
    return certificate;
  }

  /** The issuer's CRL, listing every revoked certificate of it served so far. */
  private async publishCrl(revocation: RevocationServer, issuer: string, revokedSerial: string | undefined): Promise<void> {
    const serials = this.revokedSerials.get(issuer) ?? new Set<string>();
    if (revokedSerial) serials.add(revokedSerial);
    this.revokedSerials.set(issuer, serials);
    revocation.publish(crlPath(issuer), await this.cache.crl(issuer, [...serials]));
  }

  private staple(certificate: ServedCertificate): Promise<OcspStaple> {
    let staple = this.staples.get(certificate.profile);
    if (!staple) {
      const status = CERT_PROFILES[certificate.profile].revoked ? 'revoked' : 'good';
      staple = this.cache.ocspResponse(certificate).then((response) => ({ response, status }));
      staple.catch(() => this.staples.delete(certificate.profile));
      this.staples.set(certificate.profile, staple);
    }
    return staple;
  }

  private revocationServer(): Promise<RevocationServer> {
    if (!this.revocation) {
      const started = serveRevocation(this.options.host, this.options.onRevocationRequest);
      // A port that could not be had is tried again by the next scenario that needs one.
      started.catch(() => this.revocation === started && (this.revocation = undefined));
      this.revocation = started;
    }
    return this.revocation;
  }
}
