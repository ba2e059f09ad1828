// Certificate profiles are data: what each certificate looks like, relative to now.
// The cache (cache.ts) turns a profile into PEM files and knows nothing of any one profile.

const DAY = 24 * 60 * 60 * 1000;

export interface CertProfile {
  /** Who signs it: the test CA, or the certificate itself. */
  issuer: 'test-ca' | 'self';
  /** Validity window relative to the moment it is generated, in days. */
  notBeforeDays: number;
  notAfterDays: number;
  keyBits: number;
  digest: 'sha256' | 'sha1';
  /** Host names in the subjectAltName; `{hostname}` is the server's name. */
  names: string[];
  summary: string;
}

const served = {
  issuer: 'test-ca',
  notBeforeDays: -1,
  notAfterDays: 398,
  keyBits: 2048,
  digest: 'sha256',
  names: ['{hostname}', 'localhost', '127.0.0.1'],
} as const satisfies Omit<CertProfile, 'summary'>;

export const CERT_PROFILES = {
  valid: { ...served, names: [...served.names], summary: 'Signed by the test CA, names the server, valid now' },
  expired: {
    ...served,
    names: [...served.names],
    notBeforeDays: -400,
    notAfterDays: -30,
    summary: 'Signed by the test CA, expired 30 days ago',
  },
  'self-signed': { ...served, names: [...served.names], issuer: 'self', summary: 'Signs itself; no CA vouches for it' },
} satisfies Record<string, CertProfile>;

export type CertProfileName = keyof typeof CERT_PROFILES;
export const CERT_PROFILE_NAMES = Object.keys(CERT_PROFILES) as [CertProfileName, ...CertProfileName[]];

/** The dates a profile asks for, given the moment of generation. */
export function validityOf(profile: CertProfile, now: Date): { notBefore: Date; notAfter: Date } {
  return {
    notBefore: new Date(now.getTime() + profile.notBeforeDays * DAY),
    notAfter: new Date(now.getTime() + profile.notAfterDays * DAY),
  };
}

export { DAY };
