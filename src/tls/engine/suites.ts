// The cipher suites the engine serves (DHE_RSA with AES by default; static RSA, 3DES, RC4,
// NULL and a DHE export suite when a scenario names them), and every other suite by name.
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

/** TLS 1.3 (RFC 8446): a probe sees it, the engine does not serve it. */
export const TLS13 = 0x0304;

export function versionName(code: number): string {
  const known = Object.entries({ ...VERSION_CODES, 'TLSv1.3': TLS13 }).find(([, value]) => value === code);
  return known ? known[0] : `0x${code.toString(16).padStart(4, '0')}`;
}

/** The record protection a suite names: a block cipher in CBC with an HMAC, an AEAD, or a stream cipher with an HMAC (RC4; NULL is the stream that encrypts nothing). */
export type BulkCipherName = 'aes-128-cbc' | 'aes-256-cbc' | 'des-ede3-cbc' | 'des40-cbc' | 'aes-128-gcm' | 'aes-256-gcm' | 'rc4-128' | 'null';

export interface CipherSuite {
  code: number;
  /** IANA name, as Node's getCipher().standardName gives it. */
  name: string;
  /** OpenSSL's name, as `openssl s_client -cipher` takes it. */
  openssl: string;
  /** How the premaster secret is agreed: DHE signed with the certificate's RSA key, or static RSA (encrypted to that key: no forward secrecy). */
  keyExchange: 'DHE' | 'RSA';
  cipher: BulkCipherName;
  /** Bytes of key the cipher takes (for an export suite, the 5 secret bytes before expansion). */
  keyLength: number;
  /** HMAC for CBC and stream suites; none for AEAD. */
  mac: 'sha1' | 'sha256' | 'md5' | undefined;
  /** Bytes of that HMAC (0 for AEAD). */
  macLength: number;
  /** IV bytes taken from the key block: CBC's first IV under TLS 1.0, GCM's 4-byte salt; 0 for stream ciphers and export suites. */
  ivLength: number;
  /** The PRF hash from TLS 1.2 on. */
  prfHash: Exclude<PrfHash, 'md5-sha1'>;
  tls12Only: boolean;
  /** An export suite (RFC 2246 §6.3): its keys are expanded from 40 secret bits, and TLS 1.1 forbids it (RFC 4346 §A.5). */
  exportable?: true;
}

type SuiteRow = Omit<CipherSuite, 'prfHash' | 'tls12Only'> & { prfHash?: CipherSuite['prfHash']; tls12Only?: boolean };
const defineSuite = ({ prfHash = 'sha256', tls12Only = false, ...row }: SuiteRow): CipherSuite => ({ ...row, prfHash, tls12Only });
const SHA1 = { mac: 'sha1', macLength: 20 } as const;
const AES128_CBC = { cipher: 'aes-128-cbc', keyLength: 16, ivLength: 16, ...SHA1 } as const;
const AES256_CBC = { cipher: 'aes-256-cbc', keyLength: 32, ivLength: 16, ...SHA1 } as const;
const TRIPLE_DES = { cipher: 'des-ede3-cbc', keyLength: 24, ivLength: 8, ...SHA1 } as const;
const AES128_GCM = { cipher: 'aes-128-gcm', keyLength: 16, mac: undefined, macLength: 0, ivLength: 4, tls12Only: true } as const;
const AES256_GCM = { cipher: 'aes-256-gcm', keyLength: 32, mac: undefined, macLength: 0, ivLength: 4, prfHash: 'sha384', tls12Only: true } as const;

/** The suites the engine serves when a scenario names none: DHE_RSA with AES, what it was made for (weak and broken DH groups). */
export const DEFAULT_SUITES: readonly CipherSuite[] = [
  defineSuite({ code: 0x009e, name: 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', openssl: 'DHE-RSA-AES128-GCM-SHA256', keyExchange: 'DHE', ...AES128_GCM }),
  defineSuite({ code: 0x009f, name: 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', openssl: 'DHE-RSA-AES256-GCM-SHA384', keyExchange: 'DHE', ...AES256_GCM }),
  defineSuite({ code: 0x0033, name: 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA', openssl: 'DHE-RSA-AES128-SHA', keyExchange: 'DHE', ...AES128_CBC }),
  defineSuite({ code: 0x0039, name: 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA', openssl: 'DHE-RSA-AES256-SHA', keyExchange: 'DHE', ...AES256_CBC }),
];

/** The legacy suites a scenario may name in `tls.ciphers`: static RSA, 3DES (Sweet32), RC4, NULL, and a DHE export suite (Logjam). */
const LEGACY_SUITES: readonly CipherSuite[] = [
  defineSuite({ code: 0x0016, name: 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA', openssl: 'EDH-RSA-DES-CBC3-SHA', keyExchange: 'DHE', ...TRIPLE_DES }),
  defineSuite({ code: 0x0014, name: 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA', openssl: 'EXP-EDH-RSA-DES-CBC-SHA', keyExchange: 'DHE', cipher: 'des40-cbc', keyLength: 5, ivLength: 0, ...SHA1, exportable: true }),
  defineSuite({ code: 0x002f, name: 'TLS_RSA_WITH_AES_128_CBC_SHA', openssl: 'AES128-SHA', keyExchange: 'RSA', ...AES128_CBC }),
  defineSuite({ code: 0x0035, name: 'TLS_RSA_WITH_AES_256_CBC_SHA', openssl: 'AES256-SHA', keyExchange: 'RSA', ...AES256_CBC }),
  defineSuite({ code: 0x009c, name: 'TLS_RSA_WITH_AES_128_GCM_SHA256', openssl: 'AES128-GCM-SHA256', keyExchange: 'RSA', ...AES128_GCM }),
  defineSuite({ code: 0x000a, name: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA', openssl: 'DES-CBC3-SHA', keyExchange: 'RSA', ...TRIPLE_DES }),
  defineSuite({ code: 0x0005, name: 'TLS_RSA_WITH_RC4_128_SHA', openssl: 'RC4-SHA', keyExchange: 'RSA', cipher: 'rc4-128', keyLength: 16, ivLength: 0, ...SHA1 }),
  defineSuite({ code: 0x0004, name: 'TLS_RSA_WITH_RC4_128_MD5', openssl: 'RC4-MD5', keyExchange: 'RSA', cipher: 'rc4-128', keyLength: 16, ivLength: 0, mac: 'md5', macLength: 16 }),
  defineSuite({ code: 0x003b, name: 'TLS_RSA_WITH_NULL_SHA256', openssl: 'NULL-SHA256', keyExchange: 'RSA', cipher: 'null', keyLength: 0, ivLength: 0, mac: 'sha256', macLength: 32, tls12Only: true }),
  defineSuite({ code: 0x0002, name: 'TLS_RSA_WITH_NULL_SHA', openssl: 'NULL-SHA', keyExchange: 'RSA', cipher: 'null', keyLength: 0, ivLength: 0, ...SHA1 }),
  defineSuite({ code: 0x0001, name: 'TLS_RSA_WITH_NULL_MD5', openssl: 'NULL-MD5', keyExchange: 'RSA', cipher: 'null', keyLength: 0, ivLength: 0, mac: 'md5', macLength: 16 }),
];

/** Every suite the engine has, the defaults first. */
export const SUITES: readonly CipherSuite[] = [...DEFAULT_SUITES, ...LEGACY_SUITES];

export function findSuite(nameOrCode: string | number): CipherSuite | undefined {
  return SUITES.find((suite) => suite.code === nameOrCode || suite.name === nameOrCode || suite.openssl === nameOrCode);
}

/** Whether the suite may be chosen at this version: GCM and SHA-256 suites need TLS 1.2, export suites TLS 1.0 or older. */
export function suiteFitsVersion(suite: CipherSuite, version: number): boolean {
  if (suite.tls12Only && version !== VERSION_CODES['TLSv1.2']) return false;
  return !suite.exportable || version <= VERSION_CODES.TLSv1;
}

/** TLS_EMPTY_RENEGOTIATION_INFO_SCSV: the client's way of saying it does secure renegotiation. */
export const RENEGOTIATION_SCSV = 0x00ff;

// Every other suite a client may offer or a server choose, by code: IANA's name and
// OpenSSL's. The key exchange and the certificate's key type are read from the IANA name.
const OTHER_SUITES: ReadonlyArray<readonly [number, string, string]> = [
  [0x1301, 'TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256'],
  [0x1302, 'TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384'],
  [0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256'],
  [0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  [0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 'ECDHE-ECDSA-AES256-GCM-SHA384'],
  [0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-ECDSA-CHACHA20-POLY1305'],
  [0xc023, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 'ECDHE-ECDSA-AES128-SHA256'],
  [0xc024, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 'ECDHE-ECDSA-AES256-SHA384'],
  [0xc009, 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA'],
  [0xc00a, 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA'],
  [0xc008, 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-ECDSA-DES-CBC3-SHA'],
  [0xc007, 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA', 'ECDHE-ECDSA-RC4-SHA'],
  [0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256'],
  [0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384'],
  [0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'ECDHE-RSA-CHACHA20-POLY1305'],
  [0xc027, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'ECDHE-RSA-AES128-SHA256'],
  [0xc028, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 'ECDHE-RSA-AES256-SHA384'],
  [0xc013, 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA'],
  [0xc014, 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA'],
  [0xc012, 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA', 'ECDHE-RSA-DES-CBC3-SHA'],
  [0xc011, 'TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'ECDHE-RSA-RC4-SHA'],
  [0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 'DHE-RSA-CHACHA20-POLY1305'],
  [0x0067, 'TLS_DHE_RSA_WITH_AES_128_CBC_SHA256', 'DHE-RSA-AES128-SHA256'],
  [0x006b, 'TLS_DHE_RSA_WITH_AES_256_CBC_SHA256', 'DHE-RSA-AES256-SHA256'],
  [0x0045, 'TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA', 'DHE-RSA-CAMELLIA128-SHA'],
  [0x0088, 'TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA', 'DHE-RSA-CAMELLIA256-SHA'],
  [0x0015, 'TLS_DHE_RSA_WITH_DES_CBC_SHA', 'EDH-RSA-DES-CBC-SHA'],
  [0x00a2, 'TLS_DHE_DSS_WITH_AES_128_GCM_SHA256', 'DHE-DSS-AES128-GCM-SHA256'],
  [0x00a3, 'TLS_DHE_DSS_WITH_AES_256_GCM_SHA384', 'DHE-DSS-AES256-GCM-SHA384'],
  [0x0040, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA256', 'DHE-DSS-AES128-SHA256'],
  [0x006a, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA256', 'DHE-DSS-AES256-SHA256'],
  [0x0032, 'TLS_DHE_DSS_WITH_AES_128_CBC_SHA', 'DHE-DSS-AES128-SHA'],
  [0x0038, 'TLS_DHE_DSS_WITH_AES_256_CBC_SHA', 'DHE-DSS-AES256-SHA'],
  [0x0013, 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA', 'EDH-DSS-DES-CBC3-SHA'],
  [0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384'],
  [0x003c, 'TLS_RSA_WITH_AES_128_CBC_SHA256', 'AES128-SHA256'],
  [0x003d, 'TLS_RSA_WITH_AES_256_CBC_SHA256', 'AES256-SHA256'],
  [0x0041, 'TLS_RSA_WITH_CAMELLIA_128_CBC_SHA', 'CAMELLIA128-SHA'],
  [0x0084, 'TLS_RSA_WITH_CAMELLIA_256_CBC_SHA', 'CAMELLIA256-SHA'],
  [0x0009, 'TLS_RSA_WITH_DES_CBC_SHA', 'DES-CBC-SHA'],
  [0x0008, 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA', 'EXP-DES-CBC-SHA'],
  [0x0003, 'TLS_RSA_EXPORT_WITH_RC4_40_MD5', 'EXP-RC4-MD5'],
];

export type KeyExchange = 'RSA' | 'DHE' | 'ECDHE' | 'TLS1.3' | 'unknown';

export interface SuiteDescription {
  code: number;
  name: string;
  openssl: string;
  keyExchange: KeyExchange;
  /** The certificate's key type the suite needs; TLS 1.3 suites take any. */
  authentication: 'RSA' | 'ECDSA' | 'DSS' | 'any';
}

function describeNamed(code: number, name: string, openssl: string): SuiteDescription {
  const keyExchange: KeyExchange = name.startsWith('TLS_ECDHE_') ? 'ECDHE' : name.startsWith('TLS_DHE_') ? 'DHE' : name.startsWith('TLS_RSA_') ? 'RSA' : 'TLS1.3';
  const authentication = /_ECDSA_/.test(name) ? 'ECDSA' : /_DSS_/.test(name) ? 'DSS' : keyExchange === 'TLS1.3' ? 'any' : 'RSA';
  return { code, name, openssl, keyExchange, authentication };
}

/** Every suite this table knows, the engine's first. */
export const KNOWN_SUITES: readonly SuiteDescription[] = [
  ...SUITES.map((suite) => describeNamed(suite.code, suite.name, suite.openssl)),
  ...OTHER_SUITES.map(([code, name, openssl]) => describeNamed(code, name, openssl)),
];

/** A suite by its code; one this table does not know is named by its number. */
export function describeSuite(code: number): SuiteDescription {
  const hex = `0x${code.toString(16).padStart(4, '0')}`;
  return KNOWN_SUITES.find((suite) => suite.code === code) ?? { code, name: hex, openssl: hex, keyExchange: 'unknown', authentication: 'any' };
}
