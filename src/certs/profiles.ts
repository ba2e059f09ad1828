// Certificate profiles are data: what each certificate looks like, relative to now, with
// one thing wrong each. The cache (cache.ts) turns a profile into PEM files and knows
// nothing of any one profile.

const DAY = 24 * 60 * 60 * 1000;

/**
 * The authorities the cache keeps: the test CA (what clients are told to trust), an
 * intermediate it signs, and a root nobody trusts.
 */
export const AUTHORITIES = {
  'test-ca': { issuer: 'self', commonName: 'broken-mta test CA', pathLength: undefined },
  'test-intermediate': { issuer: 'test-ca', commonName: 'broken-mta test intermediate CA', pathLength: 0 },
  'other-root': { issuer: 'self', commonName: 'broken-mta untrusted root (trust it and nothing is tested)', pathLength: undefined },
} as const;
export type AuthorityName = keyof typeof AUTHORITIES;

export interface CertProfile {
  /** Who signs it: one of the authorities, or the certificate itself. */
  issuer: AuthorityName | 'self';
  /** The authorities served after the leaf, in order. */
  chain: AuthorityName[];
  /** Validity window relative to the moment it is generated, in days. */
  notBeforeDays: number;
  notAfterDays: number;
  keyBits: number;
  digest: 'sha256' | 'sha1' | 'md5';
  /** Host names in the subjectAltName; `{hostname}` is the server's name. */
  names: string[];
  /** What it is for: a server certificate, or a client one (clientAuth only). */
  use: 'server' | 'client';
  summary: string;
}

const served: Omit<CertProfile, 'summary'> = {
  issuer: 'test-ca',
  chain: [],
  notBeforeDays: -1,
  notAfterDays: 398,
  keyBits: 2048,
  digest: 'sha256',
  names: ['{hostname}', 'localhost', '127.0.0.1'],
  use: 'server',
};

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
  'weak-key-1024': { ...served, keyBits: 1024, summary: 'An RSA key of 1024 bits' },
  'weak-key-512': { ...served, keyBits: 512, summary: 'An RSA key of 512 bits' },
  'sha1-signed': { ...served, digest: 'sha1', summary: 'Signed with SHA-1' },
  'md5-signed': { ...served, digest: 'md5', summary: 'Signed with MD5' },
  client: { ...served, names: ['client.broken-mta.test'], use: 'client', summary: 'A client certificate from the test CA' },
} satisfies Record<string, CertProfile>;

export type CertProfileName = keyof typeof CERT_PROFILES;
export const CERT_PROFILE_NAMES = Object.keys(CERT_PROFILES) as [CertProfileName, ...CertProfileName[]];
/** The profiles a scenario may serve (client is for clients). */
export const SERVED_PROFILE_NAMES = CERT_PROFILE_NAMES.filter((name) => CERT_PROFILES[name].use === 'server') as [CertProfileName, ...CertProfileName[]];

/** The dates a profile asks for, given the moment of generation. */
export function validityOf(profile: Pick<CertProfile, 'notBeforeDays' | 'notAfterDays'>, now: Date): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() + profile.notBeforeDays * DAY),
    notAfter: new Date(now.getTime() + profile.notAfterDays * DAY),
  };
}

export { DAY };
