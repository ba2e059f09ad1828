// Generates certificates from profiles and keeps them in a folder, so a second start is
// fast and a "valid" certificate never expires in a repository.
//
// Layout: `test-ca.pem` (the CA certificate, for clients to trust), `test-ca.key.pem`, and
// one `<profile>.pem` per profile holding a metadata line, the key and the chain. One file
// per profile, renamed into place, means a reader never sees a key from one generation
// with a certificate from another; the lock keeps parallel processes (test workers) from
// generating two CAs at once.
import { createHash, X509Certificate } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CERT_PROFILES, DAY, validityOf, type CertProfile, type CertProfileName } from './profiles.js';

/** Regenerate a certificate when one of its future dates is closer than this. */
const REGENERATE_WITHIN = 7 * DAY;
const CA_LIFETIME_DAYS = 825;
const META_PREFIX = '# broken-mta ';
const LOCK_STALE_MS = 60_000;

export interface ServedCertificate {
  profile: CertProfileName;
  /** PEM private key of the leaf. */
  key: string;
  /** PEM certificates as served: the leaf first. */
  chain: string;
  /** Where the bundle lives. */
  file: string;
}

interface Meta {
  fingerprint: string;
  caFingerprint: string;
  notBefore: string;
  notAfter: string;
}

export class CertificateCache {
  readonly dir: string;
  readonly hostname: string;

  constructor(dir: string, hostname: string) {
    this.dir = dir;
    this.hostname = hostname;
  }

  get caFile(): string {
    return join(this.dir, 'test-ca.pem');
  }

  private get caKeyFile(): string {
    return join(this.dir, 'test-ca.key.pem');
  }

  /** The certificate for a profile, from the cache when it is still good. */
  async get(profileName: CertProfileName, onGenerate?: (profile: string) => void): Promise<ServedCertificate> {
    const profile: CertProfile = CERT_PROFILES[profileName];
    const file = join(this.dir, `${profileName}.pem`);
    const fingerprint = this.fingerprintOf(profile);
    const cached = this.readBundle(file, profileName);
    if (cached && this.stillGood(cached.meta, fingerprint, profile.issuer === 'test-ca')) return cached.certificate;
    return this.withLock(async () => {
      const selfsigned = await loadGenerator();
      // Another process may have generated it while we waited for the lock.
      const again = this.readBundle(file, profileName);
      if (again && this.stillGood(again.meta, fingerprint, profile.issuer === 'test-ca')) return again.certificate;
      onGenerate?.(profileName);
      const ca = profile.issuer === 'test-ca' ? await this.ensureCa() : undefined;
      const { notBefore, notAfter } = validityOf(profile, new Date());
      const pems = await selfsigned.generate([{ name: 'commonName', value: this.expand(profile.names[0]!) }], {
        keySize: profile.keyBits,
        algorithm: profile.digest,
        notBeforeDate: notBefore,
        notAfterDate: notAfter,
        extensions: [
          { name: 'basicConstraints', cA: false, critical: true },
          { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
          { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
          { name: 'subjectAltName', altNames: profile.names.map((name) => this.altName(name)) },
        ],
        ...(ca ? { ca: { key: ca.key, cert: ca.cert } } : {}),
      });
      const meta: Meta = {
        fingerprint,
        caFingerprint: ca?.fingerprint ?? '',
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
      };
      const chain = normalizePem(pems.cert);
      writeAtomically(file, `${META_PREFIX}${JSON.stringify(meta)}\n${normalizePem(pems.private)}${chain}`, 0o600);
      return { profile: profileName, key: normalizePem(pems.private), chain, file };
    });
  }

  /** The test CA, generated on first use. */
  async ensureCa(): Promise<{ key: string; cert: string; fingerprint: string }> {
    const existing = this.readCa();
    if (existing) return existing;
    const now = new Date();
    const selfsigned = await loadGenerator();
    const pems = await selfsigned.generate(
      [
        { name: 'commonName', value: 'broken-mta test CA' },
        { name: 'organizationName', value: 'broken-mta (for tests only)' },
      ],
      {
        keySize: 2048,
        algorithm: 'sha256',
        notBeforeDate: new Date(now.getTime() - DAY),
        notAfterDate: new Date(now.getTime() + CA_LIFETIME_DAYS * DAY),
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
      },
    );
    writeAtomically(this.caKeyFile, normalizePem(pems.private), 0o600);
    writeAtomically(this.caFile, normalizePem(pems.cert), 0o644);
    return this.readCa()!;
  }

  private readCa(): { key: string; cert: string; fingerprint: string } | undefined {
    try {
      const cert = readFileSync(this.caFile, 'utf8');
      const key = readFileSync(this.caKeyFile, 'utf8');
      const x509 = new X509Certificate(cert);
      if (Date.parse(x509.validTo) - Date.now() < REGENERATE_WITHIN) return undefined;
      return { key, cert, fingerprint: x509.fingerprint256 };
    } catch {
      return undefined;
    }
  }

  private stillGood(meta: Meta, fingerprint: string, signedByCa: boolean): boolean {
    if (meta.fingerprint !== fingerprint) return false;
    if (signedByCa && meta.caFingerprint !== this.readCa()?.fingerprint) return false;
    const now = Date.now();
    // Only dates still ahead can flip the certificate's state (not yet valid → valid,
    // valid → expired); an expired certificate stays expired.
    return [meta.notBefore, meta.notAfter].every((date) => {
      const at = Date.parse(date);
      return at <= now || at - now > REGENERATE_WITHIN;
    });
  }

  private readBundle(file: string, profile: CertProfileName): { meta: Meta; certificate: ServedCertificate } | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    const [first, ...rest] = text.split('\n');
    if (!first?.startsWith(META_PREFIX)) return undefined;
    try {
      const meta = JSON.parse(first.slice(META_PREFIX.length)) as Meta;
      const body = rest.join('\n');
      const keyEnd = body.indexOf('-----END PRIVATE KEY-----');
      if (keyEnd < 0) return undefined;
      const split = keyEnd + '-----END PRIVATE KEY-----\n'.length;
      return { meta, certificate: { profile, key: body.slice(0, split), chain: body.slice(split), file } };
    } catch {
      return undefined;
    }
  }

  /** Changes to a profile, or to the host name it names, make a new certificate. */
  private fingerprintOf(profile: CertProfile): string {
    return createHash('sha256').update(JSON.stringify({ profile, hostname: this.hostname })).digest('hex').slice(0, 16);
  }

  private expand(name: string): string {
    return name.replaceAll('{hostname}', this.hostname);
  }

  private altName(name: string): { type: 2; value: string } | { type: 7; ip: string } {
    const expanded = this.expand(name);
    return /^[\d.]+$/.test(expanded) || expanded.includes(':') ? { type: 7, ip: expanded } : { type: 2, value: expanded };
  }

  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    mkdirSync(this.dir, { recursive: true });
    const lock = join(this.dir, '.lock');
    const deadline = Date.now() + 2 * LOCK_STALE_MS;
    for (;;) {
      try {
        closeSync(openSync(lock, 'wx'));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        if (isStale(lock) || Date.now() > deadline) unlinkQuietly(lock);
        else await sleep(50);
      }
    }
    try {
      return await work();
    } finally {
      unlinkQuietly(lock);
    }
  }
}

// Loaded only when a certificate has to be made: a warm start never pays for it.
function loadGenerator(): Promise<typeof import('selfsigned')> {
  return import('selfsigned');
}

function isStale(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function normalizePem(pem: string): string {
  return pem.replace(/\r\n/g, '\n').trim() + '\n';
}

/** Written whole or not at all: a crash never leaves half a key behind. */
export function writeAtomically(file: string, content: string, mode: number): void {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, content, { mode });
  renameSync(temporary, file);
}
