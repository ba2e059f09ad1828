// The cipher suites the engine serves: DHE with an RSA certificate only, since weak and
// broken DH groups are what it exists for.
import type { PrfHash } from './prf.js';

/** The versions the engine knows, oldest first; VERSION_CODES gives each its number. */
export const PROTOCOL_VERSIONS = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2'] as const;
export type ProtocolVersion = (typeof PROTOCOL_VERSIONS)[number];

export const VERSION_CODES: Readonly<Record<ProtocolVersion, number>> = {
  SSLv3: 0x0300,
  TLSv1: 0x0301,
  'TLSv1.1': 0x0302,
  'TLSv1.2': 0x0303,
};

export function versionName(code: number): string {
  const known = Object.entries(VERSION_CODES).find(([, value]) => value === code);
  return known ? known[0] : `0x${code.toString(16).padStart(4, '0')}`;
}

export interface CipherSuite {
  code: number;
  /** IANA name, as Node's getCipher().standardName gives it. */
  name: string;
  /** OpenSSL's name, as `openssl s_client -cipher` takes it. */
  openssl: string;
  cipher: 'aes-128-cbc' | 'aes-256-cbc' | 'aes-128-gcm' | 'aes-256-gcm';
  keyLength: number;
  /** HMAC for CBC suites; none for AEAD. */
  mac: 'sha1' | undefined;
  /** Bytes of that HMAC (0 for AEAD). */
  macLength: number;
  /** IV bytes taken from the key block: CBC's first IV under TLS 1.0, GCM's 4-byte salt. */
  ivLength: number;
  /** The PRF hash from TLS 1.2 on. */
  prfHash: Exclude<PrfHash, 'md5-sha1'>;
  tls12Only: boolean;
}

export const SUITES: readonly CipherSuite[] = [
  { code: 0x009e, name: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', openssl: 'DHE-RSA-AES128-GCM-SHA256', cipher: 'aes-128-gcm', keyLength: 16, mac: undefined, macLength: 0, ivLength: 4, prfHash: 'sha256', tls12Only: true },
  { code: 0x009f, name: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', openssl: 'DHE-RSA-AES256-GCM-SHA384', cipher: 'aes-256-gcm', keyLength: 32, mac: undefined, macLength: 0, ivLength: 4, prfHash: 'sha384', tls12Only: true },
  { code: 0x0033, name: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', openssl: 'DHE-RSA-AES128-SHA', cipher: 'aes-128-cbc', keyLength: 16, mac: 'sha1', macLength: 20, ivLength: 16, prfHash: 'sha256', tls12Only: false },
  { code: 0x0039, name: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', openssl: 'DHE-RSA-AES256-SHA', cipher: 'aes-256-cbc', keyLength: 32, mac: 'sha1', macLength: 20, ivLength: 16, prfHash: 'sha256', tls12Only: false },
];

export function findSuite(nameOrCode: string | number): CipherSuite | undefined {
  return SUITES.find((suite) => suite.code === nameOrCode || suite.name === nameOrCode || suite.openssl === nameOrCode);
}

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV: the client's way of saying it does secure renegotiation. */
export const RENEGOTIATION_SCSV = 0x00ff;
