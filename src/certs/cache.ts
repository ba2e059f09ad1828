// Generates certificates from profiles and keeps them in a folder, so a second start is
// fast and a "valid" certificate never expires in a repository.
//
// Layout: `<authority>.pem` (certificate; test-ca.pem is what clients trust) and
// `<authority>.key.pem` for each authority, and one `<profile>.pem` per profile holding a
// metadata line, the key and the chain as served. One file per profile, renamed into
// place, means a reader never sees a key from one generation with a certificate from
// another; the lock keeps parallel processes (test workers) from generating at once.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash, generateKeyPair, X509Certificate } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, makeWritableDir } from '../dirs.js';
import { AUTHORITIES, CERT_PROFILE_NAMES, CERT_PROFILES, DAY, validityOf, type AuthorityName, type CertProfile, type CertProfileName } from './profiles.js';

/** Regenerate a certificate when one of its future dates is closer than this. */
const REGENERATE_WITHIN = 7 * DAY;
const AUTHORITY_LIFETIME_DAYS = 825;
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

interface Authority {
  key: string;
  cert: string;
  fingerprint: string;
}

interface Meta {
  fingerprint: string;
  issuerFingerprint: string;
  notBefore: string;
  notAfter: string;
}

type AltName = { type: 2; value: string } | { type: 7; ip: string };

export class CertificateCache {
  readonly dir: string;
  readonly hostname: string;
  /**
   * Leaf keys, one per size for this cache's life: making a 2048-bit key is most of the
   * cost of a certificate, and no profile is about its key being unique (the weak-key
   * profiles have sizes of their own).
   */
  private readonly leafKeys = new Map<number, Promise<{ privateKey: string; publicKey: string }>>();

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
  async get(profileName: CertProfileName, onGenerate?: (profile: string) => void): Promise<ServedCertificate> {
    const profile: CertProfile = CERT_PROFILES[profileName];
    const file = join(this.dir, `${profileName}.pem`);
    const cached = this.cached(profileName);
    if (cached) return cached;
    return this.withLock(async () => {
      // Another process may have made it while we waited for the lock.
      const again = this.cached(profileName);
      if (again) return again;
      onGenerate?.(profileName);
      const issuer = profile.issuer === 'self' ? undefined : await this.authority(profile.issuer);
      const { notBefore, notAfter } = validityOf(profile, new Date());
      const leaf = await this.issue(profile, issuer, notBefore, notAfter);
      const chain = [leaf.cert, ...(await Promise.all(profile.chain.map(async (name) => (await this.authority(name)).cert)))].join('');
      const meta: Meta = { fingerprint: this.fingerprintOf(profile), issuerFingerprint: issuer?.fingerprint ?? '', notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString() };
      writeAtomically(file, `${META_PREFIX}${JSON.stringify(meta)}\n${leaf.key}${chain}`, 0o600);
      return { profile: profileName, key: leaf.key, chain, file };
    });
  }

  /** The profiles that get() would have to make: none, on a warm cache. */
  missing(): CertProfileName[] {
    return CERT_PROFILE_NAMES.filter((profile) => !this.cached(profile));
  }

  private cached(profileName: CertProfileName): ServedCertificate | undefined {
    const profile = CERT_PROFILES[profileName];
    const found = this.readBundle(join(this.dir, `${profileName}.pem`), profileName);
    return found && this.stillGood(found.meta, this.fingerprintOf(profile), profile.issuer) ? found.certificate : undefined;
  }

  /** An authority, made (and the ones above it) on first use. */
  async authority(name: AuthorityName): Promise<Authority> {
    return this.readAuthority(name) ?? this.withLock(() => this.makeAuthority(name));
  }

  private async makeAuthority(name: AuthorityName): Promise<Authority> {
    const spec = AUTHORITIES[name];
    const parent = spec.issuer === 'self' ? undefined : await this.authority(spec.issuer);
    const existing = this.readAuthority(name);
    if (existing) return existing;
    const now = new Date();
    const selfsigned = await loadGenerator();
    const pems = await selfsigned.generate(
      [
        { name: 'commonName', value: spec.commonName },
        { name: 'organizationName', value: 'broken-mta (for tests only)' },
      ],
      {
        keySize: 2048,
        algorithm: 'sha256',
        notBeforeDate: new Date(now.getTime() - DAY),
        notAfterDate: new Date(now.getTime() + AUTHORITY_LIFETIME_DAYS * DAY),
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true, ...(spec.pathLength !== undefined ? { pathLenConstraint: spec.pathLength } : {}) },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
        ...(parent ? { ca: { key: parent.key, cert: parent.cert } } : {}),
      },
    );
    writeAtomically(join(this.dir, `${name}.key.pem`), normalizePem(pems.private), 0o600);
    writeAtomically(this.authorityFile(name), normalizePem(pems.cert), 0o644);
    return this.readAuthority(name)!;
  }

  /** The test CA, generated on first use. */
  ensureCa(): Promise<Authority> {
    return this.authority('test-ca');
  }

  /**
   * Makes everything a full set needs, with independent keys made side by side (key
   * generation runs off the event loop, on libuv's threads): the authorities' chains and
   * the leaf keys of every size.
   */
  async prepareAll(): Promise<void> {
    const sizes = [...new Set(Object.values(CERT_PROFILES).map((profile) => profile.keyBits))];
    await Promise.all([...sizes.map((bits) => this.leafKey(bits)), this.authority('test-intermediate'), this.authority('other-root')]);
  }

  private leafKey(bits: number): Promise<{ privateKey: string; publicKey: string }> {
    let key = this.leafKeys.get(bits);
    if (!key) {
      // Asynchronous: a running server's event loop never waits for a key.
      key = generateKeyPairAsync('rsa', {
        modulusLength: bits,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      this.leafKeys.set(bits, key);
    }
    return key;
  }

  private async issue(profile: CertProfile, issuer: Authority | undefined, notBefore: Date, notAfter: Date): Promise<{ key: string; cert: string }> {
    const commonName = this.expand(profile.names[0]!);
    const altNames = profile.names.map((name) => this.altName(name));
    const keyPair = await this.leafKey(profile.keyBits);
    // selfsigned cannot sign with MD5 (it quietly uses SHA-1): openssl can.
    if (profile.digest === 'md5') return opensslIssue(profile, keyPair.privateKey, issuer, commonName, altNames, notAfter);
    const selfsigned = await loadGenerator();
    const pems = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
      keyPair,
      algorithm: profile.digest,
      notBeforeDate: notBefore,
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        profile.use === 'client' ? { name: 'extKeyUsage', clientAuth: true } : { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        { name: 'subjectAltName', altNames },
      ],
      ...(issuer ? { ca: { key: issuer.key, cert: issuer.cert } } : {}),
    });
    return { key: normalizePem(pems.private), cert: normalizePem(pems.cert) };
  }

  /** The authority on disk, if it is still valid for long and still signed by its parent. */
  private readAuthority(name: AuthorityName): Authority | undefined {
    try {
      const cert = readFileSync(this.authorityFile(name), 'utf8');
      const key = readFileSync(join(this.dir, `${name}.key.pem`), 'utf8');
      const x509 = new X509Certificate(cert);
      if (Date.parse(x509.validTo) - Date.now() < REGENERATE_WITHIN) return undefined;
      const parent = AUTHORITIES[name].issuer;
      if (parent !== 'self' && !x509.checkIssued(new X509Certificate(readFileSync(this.authorityFile(parent), 'utf8')))) return undefined;
      return { key, cert, fingerprint: x509.fingerprint256 };
    } catch {
      return undefined;
    }
  }

  /** The fingerprint of an authority's certificate on disk, without reading its key. */
  private authorityFingerprint(name: AuthorityName): string | undefined {
    try {
      return new X509Certificate(readFileSync(this.authorityFile(name), 'utf8')).fingerprint256;
    } catch {
      return undefined;
    }
  }

  private stillGood(meta: Meta, fingerprint: string, issuer: CertProfile['issuer']): boolean {
    if (meta.fingerprint !== fingerprint) return false;
    if (issuer !== 'self' && meta.issuerFingerprint !== this.authorityFingerprint(issuer)) return false;
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
      const keyEnd = /-----END (RSA )?PRIVATE KEY-----\n/.exec(body);
      if (!keyEnd) return undefined;
      const split = keyEnd.index + keyEnd[0].length;
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

  private altName(name: string): AltName {
    const expanded = this.expand(name);
    return /^[\d.]+$/.test(expanded) || expanded.includes(':') ? { type: 7, ip: expanded } : { type: 2, value: expanded };
  }

  private holdingLock = false;

  /** One process generates at a time; re-entrant, since a leaf may need its authority made. */
  private async withLock<T>(work: () => Promise<T>): Promise<T> {
    if (this.holdingLock) return work();
    makeWritableDir(this.dir, 'certificate folder', '; choose another with --certs or $BROKEN_MTA_CERTS');
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
    this.holdingLock = true;
    try {
      return await work();
    } finally {
      this.holdingLock = false;
      unlinkQuietly(lock);
    }
  }
}

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

/** An MD5-signed leaf, made by the openssl command (OpenSSL still signs with MD5). */
async function opensslIssue(
  profile: CertProfile,
  privateKey: string,
  issuer: Authority | undefined,
  commonName: string,
  altNames: AltName[],
  notAfter: Date,
): Promise<{ key: string; cert: string }> {
  const work = mkdtempSync(join(tmpdir(), 'broken-mta-cert-'));
  try {
    const file = (name: string) => join(work, name);
    const san = altNames.map((name) => (name.type === 7 ? `IP:${name.ip}` : `DNS:${name.value}`)).join(',');
    writeFileSync(file('ext.cnf'), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=${san}\n`);
    // Asynchronous, so a running server's event loop never waits for a key.
    const run = (args: string[]) => execFileAsync('openssl', args);
    writeFileSync(file('leaf.key'), privateKey, { mode: 0o600 });
    await run(['req', '-new', '-key', file('leaf.key'), '-subj', `/CN=${commonName}`, '-out', file('leaf.csr')]);
    const days = Math.max(1, Math.round((notAfter.getTime() - Date.now()) / DAY));
    if (issuer) {
      writeFileSync(file('ca.pem'), issuer.cert);
      writeFileSync(file('ca.key'), issuer.key, { mode: 0o600 });
      await run(['x509', '-req', '-in', file('leaf.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-set_serial', `0x${Date.now().toString(16)}`, '-md5', '-days', String(days), '-extfile', file('ext.cnf'), '-out', file('leaf.pem')]);
    } else {
      await run(['x509', '-req', '-in', file('leaf.csr'), '-signkey', file('leaf.key'), '-md5', '-days', String(days), '-extfile', file('ext.cnf'), '-out', file('leaf.pem')]);
    }
    // openssl starts the validity now, which is what the MD5 profile asks for.
    return { key: normalizePem(readFileSync(file('leaf.key'), 'utf8')), cert: normalizePem(readFileSync(file('leaf.pem'), 'utf8')) };
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`openssl could not make the ${profile.digest} certificate: ${stderr || (error as Error).message}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
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
  try {
    writeFileSync(temporary, content, { mode });
    renameSync(temporary, file);
  } catch (error) {
    unlinkQuietly(temporary);
    throw new Error(`cannot write ${file} (${describe(error)})`);
  }
}
