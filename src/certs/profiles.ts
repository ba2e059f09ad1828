// Certificate profiles are data: what each certificate looks like, relative to now, with
// one thing wrong each. The cache (cache.ts) turns a profile into PEM files and knows
// nothing of any one profile.

const DAY = 24 * 60 * 60 * 1000;

/** The keys a certificate can have. `slow` ones are made on first use only, never in a warm-up. */
export const KEY_SPECS = {
  'rsa-512': { kind: 'rsa', bits: 512 },
  'rsa-1024': { kind: 'rsa', bits: 1024 },
  'rsa-2048': { kind: 'rsa', bits: 2048 },
  // Tens of seconds on one core, and as much again at random: see BENCHMARKS.md.
  'rsa-8192': { kind: 'rsa', bits: 8192, slow: true },
  'ec-p256': { kind: 'ec', curve: 'P-256' },
  'ec-p384': { kind: 'ec', curve: 'P-384' },
} as const satisfies Record<string, { kind: 'rsa'; bits: number; slow?: boolean } | { kind: 'ec'; curve: 'P-256' | 'P-384' }>;
export type KeySpec = keyof typeof KEY_SPECS;

/** The hash of the issuer's signature on a certificate. */
export type Digest = 'sha256' | 'sha384' | 'sha1' | 'md5';

export interface AuthoritySpec {
  /** Who signs it: another authority, or itself (a root). */
  issuer: AuthorityName | 'self';
  commonName: string;
  /** basicConstraints pathLenConstraint; none: no limit. */
  pathLength?: number;
  key: KeySpec;
  digest: Digest;
  /** Validity relative to the moment it is generated, in days. */
  notBeforeDays: number;
  notAfterDays: number;
  /**
   * A cross-sign: the named authority's own subject and key, vouched for by `issuer`. A
   * client can reach the same authority by two paths, one through this certificate.
   */
  crossSigns?: AuthorityName;
}

const authority = { key: 'rsa-2048', digest: 'sha256', notBeforeDays: -1, notAfterDays: 825 } as const;

/** Intermediates of the test CA, each signing the next: a chain as long as a profile wants. */
const CHAIN_LENGTH = 17;
const chainName = (n: number) => `chain-${n}`;
const CHAIN = Object.fromEntries(
  Array.from({ length: CHAIN_LENGTH }, (_, i) => [
    chainName(i + 1),
    { ...authority, key: 'ec-p256', issuer: i === 0 ? 'test-ca' : chainName(i), commonName: `broken-mta chain intermediate ${i + 1}` },
  ]),
) as Record<string, AuthoritySpec>;

/**
 * The authorities the cache keeps: the test CA (what clients are told to trust), the
 * intermediates it signs, and roots nobody trusts.
 */
export const AUTHORITIES: Record<string, AuthoritySpec> = {
  'test-ca': { ...authority, issuer: 'self', commonName: 'broken-mta test CA' },
  // EC keys for every authority but the test CA itself: what these scenarios are about is
  // who signed, not with what, and an RSA key costs a cold start 100-300 ms of a core.
  'test-intermediate': { ...authority, key: 'ec-p256', issuer: 'test-ca', commonName: 'broken-mta test intermediate CA', pathLength: 0 },
  'other-root': { ...authority, key: 'ec-p256', issuer: 'self', commonName: 'broken-mta untrusted root (trust it and nothing is tested)' },
  'sha1-intermediate-ca': { ...authority, key: 'ec-p256', issuer: 'test-ca', digest: 'sha1', commonName: 'broken-mta SHA-1 intermediate CA', pathLength: 0 },
  'expired-intermediate-ca': {
    ...authority,
    key: 'ec-p256',
    issuer: 'test-ca',
    commonName: 'broken-mta expired intermediate CA',
    pathLength: 0,
    notBeforeDays: -400,
    notAfterDays: -30,
  },
  // AddTrust External CA Root (expired 30 May 2020) and its cross-sign of USERTrust: the
  // retired root and the cross-sign both expired, the trusted root itself still good.
  'retired-root': { ...authority, key: 'ec-p256', issuer: 'self', commonName: 'broken-mta retired root (expired)', notBeforeDays: -7300, notAfterDays: -30 },
  'test-ca-cross': { ...authority, issuer: 'retired-root', crossSigns: 'test-ca', commonName: 'broken-mta test CA', notBeforeDays: -3650, notAfterDays: -30 },
  ...CHAIN,
};
export type AuthorityName = string;

export interface CertProfile {
  /** Who signs it: one of the authorities, or the certificate itself. */
  issuer: AuthorityName | 'self';
  /** The authorities served after the leaf, in order. */
  chain: AuthorityName[];
  /** Validity window relative to the moment it is generated, in days. */
  notBeforeDays: number;
  notAfterDays: number;
  key: KeySpec;
  digest: Digest;
  /** Host names in the subjectAltName; `{hostname}` is the server's name, `{domain}` its parent (mx.example.test: example.test). */
  names: string[];
  /** The subject: the first name as commonName, or none at all (the names then live only in a critical subjectAltName). */
  subject: 'first-name' | 'none';
  /** What it is for: a server certificate, or a client one (clientAuth only). */
  use: 'server' | 'client';
  /** Its issuer's CRL (served by broken-mta) and OCSP answers list it as revoked. */
  revoked?: boolean;
  /** It names the CRL distribution point broken-mta serves for its issuer, on loopback. */
  crlDistributionPoint?: boolean;
  /** The TLS Feature extension with status_request (RFC 7633, "must staple"). */
  mustStaple?: boolean;
  summary: string;
}

const served: Omit<CertProfile, 'summary'> = {
  issuer: 'test-ca',
  chain: [],
  notBeforeDays: -1,
  notAfterDays: 398,
  key: 'rsa-2048',
  digest: 'sha256',
  names: ['{hostname}', 'localhost', '127.0.0.1'],
  subject: 'first-name',
  use: 'server',
};

/** Filler names, after the server's own, up to `count` in all (badssl.com's 1000-sans and 10000-sans). */
function manyNames(count: number): string[] {
  const own = served.names;
  return [...own, ...Array.from({ length: count - own.length }, (_, i) => `san-${String(i + 1).padStart(5, '0')}.broken-mta.test`)];
}

const chainOf = (length: number) => Array.from({ length }, (_, i) => chainName(length - i));

export const CERT_PROFILES = {
  valid: { ...served, summary: 'Signed by the test CA, names the server, valid now' },
  expired: { ...served, notBeforeDays: -400, notAfterDays: -30, summary: 'Expired 30 days ago' },
  'not-yet-valid': { ...served, notBeforeDays: 30, notAfterDays: 400, summary: 'Valid only from 30 days from now' },
  'self-signed': { ...served, issuer: 'self', summary: 'Signs itself; no CA vouches for it' },
  'untrusted-root': { ...served, issuer: 'other-root', chain: ['other-root'], summary: 'Chains to a root that is sent but not trusted' },
  'unknown-ca': { ...served, issuer: 'other-root', summary: 'Signed by a CA that is neither sent nor trusted' },
  'incomplete-chain': { ...served, issuer: 'test-intermediate', summary: 'Signed by an intermediate of the test CA that is not sent' },
  'good-chain': { ...served, issuer: 'test-intermediate', chain: ['test-intermediate'], summary: 'Signed by an intermediate of the test CA, which is sent' },
  'wrong-host': { ...served, names: ['wrong-host.broken-mta.test'], summary: 'A valid chain for another host name' },
  'weak-key-1024': { ...served, key: 'rsa-1024', summary: 'An RSA key of 1024 bits' },
  'weak-key-512': { ...served, key: 'rsa-512', summary: 'An RSA key of 512 bits' },
  'sha1-signed': { ...served, digest: 'sha1', summary: 'Signed with SHA-1' },
  'md5-signed': { ...served, digest: 'md5', summary: 'Signed with MD5' },
  'ecdsa-p256': { ...served, key: 'ec-p256', summary: 'An ECDSA P-256 key, and no RSA certificate beside it' },
  'ecdsa-p384': { ...served, key: 'ec-p384', digest: 'sha384', summary: 'An ECDSA P-384 key, and no RSA certificate beside it' },
  'rsa-8192': { ...served, key: 'rsa-8192', summary: 'An RSA key of 8192 bits (made on first use)' },
  'no-subject': { ...served, subject: 'none', summary: 'An empty subject; the names only in a critical subjectAltName' },
  '1000-sans': { ...served, names: manyNames(1000), summary: '1,000 names in the subjectAltName' },
  '10000-sans': { ...served, names: manyNames(10_000), summary: '10,000 names in the subjectAltName (about 300 KB)' },
  'reversed-chain': { ...served, issuer: chainName(2), chain: [chainName(1), chainName(2)], summary: 'Two intermediates, sent root-side first' },
  'sha1-intermediate': { ...served, issuer: 'sha1-intermediate-ca', chain: ['sha1-intermediate-ca'], summary: 'A SHA-256 leaf under an intermediate the root signed with SHA-1' },
  'expired-intermediate': { ...served, issuer: 'expired-intermediate-ca', chain: ['expired-intermediate-ca'], summary: 'A valid leaf under an intermediate that expired 30 days ago' },
  'expired-cross-root': {
    ...served,
    issuer: 'test-intermediate',
    chain: ['test-intermediate', 'test-ca-cross'],
    summary: 'A valid chain to the test CA, sent with an expired cross-sign of the test CA by a retired root',
  },
  'long-chain': { ...served, issuer: chainName(CHAIN_LENGTH), chain: chainOf(CHAIN_LENGTH), summary: `${CHAIN_LENGTH} intermediates between the leaf and the test CA` },
  revoked: { ...served, revoked: true, crlDistributionPoint: true, summary: "Revoked: its issuer's CRL and OCSP answers list it" },
  'must-staple': { ...served, mustStaple: true, summary: 'Carries the TLS Feature extension (status_request): "must staple"' },
  client: { ...served, names: ['client.broken-mta.test'], use: 'client', summary: 'A client certificate from the test CA' },
  'mta-sts-host': { ...served, names: ['mta-sts.{domain}'], summary: "The MTA-STS policy host's: mta-sts. and the server's domain ({hostname}'s parent)" },
  'mta-sts-host-expired': { ...served, names: ['mta-sts.{domain}'], notBeforeDays: -400, notAfterDays: -30, summary: "The MTA-STS policy host's, expired 30 days ago" },
} satisfies Record<string, CertProfile>;

export type CertProfileName = keyof typeof CERT_PROFILES;
export const CERT_PROFILE_NAMES = Object.keys(CERT_PROFILES) as [CertProfileName, ...CertProfileName[]];
/** The profiles a scenario may serve (client is for clients). */
export const SERVED_PROFILE_NAMES = CERT_PROFILE_NAMES.filter((name) => CERT_PROFILES[name].use === 'server') as [CertProfileName, ...CertProfileName[]];

/**
 * Why a profile is made only when a scenario serves it, never in a warm-up (`broken-mta
 * certs`, the test suite's setup); undefined when it is made with the rest.
 */
export function madeWhenServed(profile: CertProfile): string | undefined {
  if ('slow' in KEY_SPECS[profile.key]) return `made on first use (its ${profile.key} key takes seconds to minutes)`;
  if (profile.crlDistributionPoint) return "made when served (it names the serving process's CRL URL)";
  return undefined;
}

/** The dates a profile asks for, given the moment of generation. */
export function validityOf(profile: Pick<CertProfile, 'notBeforeDays' | 'notAfterDays'>, now: Date): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() + profile.notBeforeDays * DAY),
    notAfter: new Date(now.getTime() + profile.notAfterDays * DAY),
  };
}

export { DAY };
