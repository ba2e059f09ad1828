// Generates certificates from profiles and keeps them in a folder, so a second start is
// fast and a "valid" certificate never expires in a repository.
//
// Layout: `<authority>.pem` (certificate; test-ca.pem is what clients trust) and
// `<authority>.key.pem` (a metadata line, then the key) for each authority; one
// `<profile>.pem` per profile holding a metadata line, the key and the chain as served;
// `key-<spec>.pem`, the leaf key of each kind. One file per profile, renamed into place,
// means a reader never sees a key from one generation with a certificate from another;
// the metadata says what a file was made from, so a change to a profile, an authority
// above it or the server's name makes it anew; the lock keeps parallel processes (test
// workers) from generating at once.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, makeWritableDir } from '../dirs.js';
import { unlinkQuietly, withFileLock } from './file-lock.js';
import { generateKey, keyPairOf, readKey, type KeyPair } from './keys.js';
import { issueMd5Certificate } from './md5.js';
import { AUTHORITIES, CERT_PROFILE_NAMES, CERT_PROFILES, DAY, KEY_SPECS, madeWhenServed, validityOf, type AuthorityName, type AuthoritySpec, type CertProfile, type CertProfileName, type KeySpec } from './profiles.js';
import { crlPath } from './revocation-server.js';
import { issueCertificate, issueCrl, issueOcspResponse, type AltName } from './x509.js';

/** Regenerate a certificate when one of its future dates is closer than this. */
const REGENERATE_WITHIN = 7 * DAY;
const META_PREFIX = '# broken-mta ';
const FOLDER_HINT = '; choose another with --certs or $BROKEN_MTA_CERTS';
const ORGANIZATION = 'broken-mta (for tests only)';

export interface ServedCertificate {
  profile: CertProfileName;
  /** PEM private key of the leaf. */
  key: string;
  /** PEM certificates as served: the leaf first. */
  chain: string;
  /** Where the bundle lives. */
  file: string;
  /** The leaf's serial number, in hex. */
  serial: string;
}

export interface IssueOptions {
  /** Called when the certificate has to be made (not found, or stale). */
  onGenerate?: (profile: string) => void;
  /** `http://host:port` of the revocation server, for profiles that name a CRL distribution point. */
  revocationBase?: string;
  /** Called when a key has to be made first: a slow one takes a while. */
  onKeyGeneration?: (spec: KeySpec) => void;
}

interface Authority {
  key: KeyPair;
  cert: string;
  fingerprint: string;
}

interface Meta {
  /** What the file was made from: profile or spec, host name, the authorities it hangs on. */
  inputs: string;
  notBefore: string;
  notAfter: string;
  serial: string;
  /** (authorities) The certificate file this key file belongs with. */
  certificate?: string;
}

export class CertificateCache {
  readonly dir: string;
  readonly hostname: string;
  /** Leaf keys by kind, for this cache's life (and on disk): no profile is about its key being unique. */
  private readonly leafKeys = new Map<KeySpec, Promise<KeyPair>>();
  private readonly authorities = new Map<AuthorityName, Promise<Authority>>();

  constructor(dir: string, hostname: string) {
    this.dir = dir;
    this.hostname = hostname;
  }

  /** The test CA's certificate: what a client must trust. */
  get caFile(): string {
    return this.authorityFile('test-ca');
  }

  authorityFile(name: AuthorityName): string {
    return join(this.dir, `${name}.pem`);
  }

  /** The certificate for a profile, from the cache when it is still good. */
  async get(profileName: CertProfileName, onGenerate?: (profile: string) => void, options: IssueOptions = {}): Promise<ServedCertificate> {
    const profile: CertProfile = CERT_PROFILES[profileName];
    if (profile.crlDistributionPoint && !options.revocationBase) {
      throw new Error(`the ${profileName} certificate names the CRL a running server publishes; it is made when a scenario serves it`);
    }
    const file = join(this.dir, `${profileName}.pem`);
    const issuer = profile.issuer === 'self' ? undefined : await this.authority(profile.issuer);
    const chain = await Promise.all(profile.chain.map((name) => this.authority(name)));
    const inputs = this.leafInputs(profile, issuer, chain, options.revocationBase);
    const fresh = () => this.readFresh(profileName, inputs);
    const cached = fresh();
    if (cached) return cached;
    // Made outside the lock: a slow key (RSA-8192) must not hold other processes up.
    const key = await this.leafKey(profile.key, options.onKeyGeneration);
    return this.withLock(async () => {
      // Another process may have made it while we waited for the lock.
      const again = fresh();
      if (again) return again;
      (onGenerate ?? options.onGenerate)?.(profileName);
      const { notBefore, notAfter } = validityOf(profile, new Date());
      const leaf = await this.issue(profile, key, issuer, notBefore, notAfter, options.revocationBase);
      const served = [leaf.pem, ...chain.map((authority) => authority.cert)].join('');
      const meta: Meta = { inputs, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(), serial: leaf.serial };
      writeAtomically(file, `${META_PREFIX}${JSON.stringify(meta)}\n${key.privateKey}${served}`, 0o600);
      return { profile: profileName, key: key.privateKey, chain: served, file, serial: leaf.serial };
    });
  }

  /**
   * The profiles a warm-up (`broken-mta certs`, the test suite's setup) would have to make:
   * none, on a warm cache. Looks at the folder only; makes nothing.
   */
  missing(): CertProfileName[] {
    return CERT_PROFILE_NAMES.filter((name) => !madeWhenServed(CERT_PROFILES[name]) && !this.onDisk(name));
  }

  private onDisk(profileName: CertProfileName): ServedCertificate | undefined {
    const profile: CertProfile = CERT_PROFILES[profileName];
    const issuer = profile.issuer === 'self' ? undefined : this.authorityOnDisk(profile.issuer);
    const chain = profile.chain.map((name) => this.authorityOnDisk(name));
    if ((profile.issuer !== 'self' && !issuer) || !chain.every((authority) => authority)) return undefined;
    return this.readFresh(profileName, this.leafInputs(profile, issuer, chain as Authority[], undefined));
  }

  /** An authority as it is on disk, with the ones above it, if all are still good. */
  private authorityOnDisk(name: AuthorityName): Authority | undefined {
    const spec = AUTHORITIES[name];
    if (!spec) return undefined;
    const parent = spec.issuer === 'self' ? undefined : this.authorityOnDisk(spec.issuer);
    const crossed = spec.crossSigns ? this.authorityOnDisk(spec.crossSigns) : undefined;
    if ((spec.issuer !== 'self' && !parent) || (spec.crossSigns && !crossed)) return undefined;
    return this.readAuthority(name, authorityInputs(spec, parent, crossed));
  }

  /** What a leaf is made from: a change to any of it makes the leaf anew. */
  private leafInputs(profile: CertProfile, issuer: Authority | undefined, chain: Authority[], revocationBase: string | undefined): string {
    return fingerprint({ profile, hostname: this.hostname, revocationBase, issuer: issuer?.fingerprint, chain: chain.map((a) => a.fingerprint) });
  }

  private readFresh(profileName: CertProfileName, inputs: string): ServedCertificate | undefined {
    const cached = this.readBundle(join(this.dir, `${profileName}.pem`), profileName);
    return cached && cached.meta.inputs === inputs && datesStillGood(cached.meta) ? cached.certificate : undefined;
  }

  /** An authority, made (and the ones above it) on first use. */
  authority(name: AuthorityName): Promise<Authority> {
    let authority = this.authorities.get(name);
    if (!authority) {
      authority = this.loadOrMakeAuthority(name);
      authority.catch(() => this.authorities.delete(name));
      this.authorities.set(name, authority);
    }
    return authority;
  }

  /** The test CA, generated on first use. */
  ensureCa(): Promise<Authority> {
    return this.authority('test-ca');
  }

  /**
   * Makes everything a full set needs but the slow keys, with independent keys made side
   * by side (key generation runs off the event loop, on libuv's threads).
   */
  async prepareAll(): Promise<void> {
    const specs = new Set(Object.values(CERT_PROFILES).map((profile) => profile.key));
    const quick = [...specs].filter((spec) => !('slow' in KEY_SPECS[spec]));
    await Promise.all([...quick.map((spec) => this.leafKey(spec)), ...Object.keys(AUTHORITIES).map((name) => this.authority(name))]);
  }

  /** The slow keys a warm-up leaves out (rsa-8192), made now: for whoever can start them early. */
  async prepareSlowKeys(): Promise<void> {
    const specs = new Set(Object.values(CERT_PROFILES).map((profile) => profile.key));
    await Promise.all([...specs].filter((spec) => 'slow' in KEY_SPECS[spec]).map((spec) => this.leafKey(spec)));
  }

  /** The CRL an authority publishes, listing these serials (DER). */
  async crl(authorityName: AuthorityName, revokedSerials: string[]): Promise<Buffer> {
    const authority = await this.authority(authorityName);
    return issueCrl({ certificate: authority.cert, privateKey: authority.key.privateKey }, revokedSerials);
  }

  /** What the certificate's issuer answers over OCSP about it: revoked if the profile says so (DER). */
  async ocspResponse(certificate: ServedCertificate): Promise<Buffer> {
    const profile: CertProfile = CERT_PROFILES[certificate.profile];
    if (profile.issuer === 'self') throw new Error(`${certificate.profile} signs itself: no issuer answers OCSP for it`);
    const issuer = await this.authority(profile.issuer);
    return issueOcspResponse(certificate.chain, { certificate: issuer.cert, privateKey: issuer.key.privateKey }, profile.revoked ? 'revoked' : 'good');
  }

  private async loadOrMakeAuthority(name: AuthorityName): Promise<Authority> {
    const spec = AUTHORITIES[name];
    if (!spec) throw new Error(`no authority ${name}`);
    const parent = spec.issuer === 'self' ? undefined : await this.authority(spec.issuer);
    const crossed = spec.crossSigns ? await this.authority(spec.crossSigns) : undefined;
    const inputs = authorityInputs(spec, parent, crossed);
    const fresh = () => this.readAuthority(name, inputs);
    return (
      fresh() ??
      this.withLock(async () => {
        const existing = fresh();
        if (existing) return existing;
        const { notBefore, notAfter } = validityOf(spec, new Date());
        const key = crossed?.key ?? (await generateKey(spec.key));
        const { pem, serial } = await issueCertificate({
          subject: crossed ? { sameAs: crossed.cert } : { commonName: spec.commonName, organization: ORGANIZATION },
          key,
          signer: parent ? { certificate: parent.cert, privateKey: parent.key.privateKey } : 'self',
          digest: spec.digest === 'md5' ? 'sha256' : spec.digest,
          notBefore,
          notAfter,
          ca: { pathLength: spec.pathLength },
        });
        const meta: Meta = { inputs, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(), serial, certificate: fingerprint(pem) };
        writeAtomically(join(this.dir, `${name}.key.pem`), `${META_PREFIX}${JSON.stringify(meta)}\n${key.privateKey}`, 0o600);
        writeAtomically(this.authorityFile(name), pem, 0o644);
        return { key, cert: pem, fingerprint: meta.certificate! };
      })
    );
  }

  /** The authority on disk, if it was made from these inputs and none of its dates is about to flip. */
  private readAuthority(name: AuthorityName, inputs: string): Authority | undefined {
    try {
      const cert = readFileSync(this.authorityFile(name), 'utf8');
      const [first, ...rest] = readFileSync(join(this.dir, `${name}.key.pem`), 'utf8').split('\n');
      if (!first?.startsWith(META_PREFIX)) return undefined;
      const meta = JSON.parse(first.slice(META_PREFIX.length)) as Meta;
      // The two files are written one after the other: both must be of one generation.
      if (meta.inputs !== inputs || meta.certificate !== fingerprint(cert) || !datesStillGood(meta)) return undefined;
      const privateKey = rest.join('\n');
      const key = keyPairOf(privateKey);
      return key ? { key, cert, fingerprint: meta.certificate } : undefined;
    } catch {
      return undefined;
    }
  }

  private leafKey(spec: KeySpec, onGeneration?: (spec: KeySpec) => void): Promise<KeyPair> {
    let key = this.leafKeys.get(spec);
    if (!key) {
      const file = join(this.dir, `key-${spec}.pem`);
      key = (async () => {
        const existing = readKey(file);
        if (existing) return existing;
        makeWritableDir(this.dir, 'certificate folder', FOLDER_HINT);
        // A lock of its own, not the cache's: a slow key is made once, and holds nobody
        // up who needs anything else.
        return withFileLock(`${file}.lock`, async () => {
          const again = readKey(file);
          if (again) return again;
          onGeneration?.(spec);
          const made = await generateKey(spec);
          writeAtomically(file, made.privateKey, 0o600);
          return made;
        });
      })();
      key.catch(() => this.leafKeys.delete(spec));
      this.leafKeys.set(spec, key);
    }
    return key;
  }

  private async issue(profile: CertProfile, key: KeyPair, issuer: Authority | undefined, notBefore: Date, notAfter: Date, revocationBase: string | undefined): Promise<{ pem: string; serial: string }> {
    const altNames = profile.names.map((name) => this.altName(name));
    const signer = issuer ? { certificate: issuer.cert, privateKey: issuer.key.privateKey } : ('self' as const);
    if (profile.digest === 'md5') {
      const pem = normalizePem(await issueMd5Certificate(key.privateKey, signer, this.expand(profile.names[0]!), altNames, notAfter));
      return { pem, serial: new X509Certificate(pem).serialNumber.toLowerCase() };
    }
    return issueCertificate({
      subject: profile.subject === 'none' ? 'none' : { commonName: this.expand(profile.names[0]!) },
      key,
      signer,
      digest: profile.digest,
      notBefore,
      notAfter,
      altNames,
      extendedKeyUsage: profile.use === 'client' ? ['clientAuth'] : ['serverAuth', 'clientAuth'],
      keyEncipherment: KEY_SPECS[profile.key].kind === 'rsa',
      crlUrl: profile.crlDistributionPoint ? `${revocationBase}${crlPath(profile.issuer)}` : undefined,
      mustStaple: profile.mustStaple,
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
      const keyEnd = /-----END (RSA |EC )?PRIVATE KEY-----\n/.exec(body);
      if (!keyEnd) return undefined;
      const split = keyEnd.index + keyEnd[0].length;
      return { meta, certificate: { profile, key: body.slice(0, split), chain: body.slice(split), file, serial: meta.serial } };
    } catch {
      return undefined;
    }
  }

  private expand(name: string): string {
    const dot = this.hostname.indexOf('.');
    return name.replaceAll('{hostname}', this.hostname).replaceAll('{domain}', dot < 0 ? this.hostname : this.hostname.slice(dot + 1));
  }

  private altName(name: string): AltName {
    const expanded = this.expand(name);
    return /^[\d.]+$/.test(expanded) || expanded.includes(':') ? { type: 'ip', value: expanded } : { type: 'dns', value: expanded };
  }

  private lockHolders = 0;
  private lockReleased: (() => void) | undefined;
  private lockHeld: Promise<void> | undefined;

  /**
   * One process generates at a time. Within a process the lock is shared (and so
   * re-entrant): a leaf may need its authority made, authorities are made side by side.
   */
  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    if (this.lockHolders === 0 && !this.lockHeld) {
      makeWritableDir(this.dir, 'certificate folder', FOLDER_HINT);
      this.lockHeld = new Promise<void>((held, failed) => {
        withFileLock(join(this.dir, '.lock'), () => {
          held();
          return new Promise<void>((release) => (this.lockReleased = release));
        }).catch(failed);
      });
    }
    this.lockHolders++;
    try {
      await this.lockHeld;
      return await work();
    } finally {
      if (--this.lockHolders === 0) {
        this.lockHeld = undefined;
        this.lockReleased?.();
      }
    }
  }
}

/** Only dates still ahead can flip a certificate's state (not yet valid → valid, valid → expired). */
function datesStillGood(meta: Pick<Meta, 'notBefore' | 'notAfter'>): boolean {
  const now = Date.now();
  return [meta.notBefore, meta.notAfter].every((date) => {
    const at = Date.parse(date);
    return at <= now || at - now > REGENERATE_WITHIN;
  });
}

/** What an authority is made from. */
function authorityInputs(spec: AuthoritySpec, parent: Authority | undefined, crossed: Authority | undefined): string {
  return fingerprint({ spec, parent: parent?.fingerprint, crossed: crossed?.fingerprint });
}

function fingerprint(value: unknown): string {
  return createHash('sha256')
    .update(typeof value === 'string' ? value : JSON.stringify(value))
    .digest('hex')
    .slice(0, 16);
}

function normalizePem(pem: string): string {
  return pem.replace(/\r\n/g, '\n').trim() + '\n';
}

/** Written whole or not at all: a crash never leaves half a key behind. */
export function writeAtomically(file: string, content: string | Buffer, mode: number): void {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(temporary, content, { mode });
    renameSync(temporary, file);
  } catch (error) {
    unlinkQuietly(temporary);
    throw new Error(`cannot write ${file} (${describe(error)})`);
  }
}
