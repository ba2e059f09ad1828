// The ClientHellos the probes send, one question each: which versions, which key exchange
// the server prefers, which DH group or curve it uses, whether it has anything but legacy
// suites. The first is shaped like OpenSSL 3's own, since OpenSSL-based clients are the
// ones whose failures a capture must reproduce.
import { randomBytes } from 'node:crypto';
import { clientExtension, clientHello, type Extension } from '../tls/engine/messages.js';
import { ContentType, encodeRecord } from '../tls/engine/records.js';
import { KNOWN_SUITES, versionName, type SuiteDescription } from '../tls/engine/suites.js';

export const HELLO_PROBES = ['tls1.2', 'tls1.1', 'tls1.0', 'ssl3', 'dhe', 'ecdhe', 'legacy'] as const;
export type HelloProbeName = (typeof HELLO_PROBES)[number];

export interface HelloPlan {
  name: HelloProbeName;
  version: number;
  suites: number[];
  /** What the probe asks, for progress lines. */
  question: string;
}

const isLegacy = (suite: SuiteDescription) => /_3DES_|_RC4_|_DES_|_DES40_|EXPORT|CAMELLIA|_NULL_/.test(suite.name);
/** NULL suites encrypt nothing: only the legacy probe offers them, as no client offers them unasked. */
const encrypts = (suite: SuiteDescription) => !/_NULL_/.test(suite.name);
const tls12Only = (suite: SuiteDescription) => /_GCM_|CHACHA20|_SHA256$|_SHA384$/.test(suite.name);
const usable = (version: number) => (suite: SuiteDescription) => suite.keyExchange !== 'TLS1.3' && (version >= 0x0303 || !tls12Only(suite));

/** OpenSSL 3's order: forward secrecy first, AEAD before CBC, RSA key exchange last. */
const rank = (suite: SuiteDescription) =>
  ({ ECDHE: 0, DHE: 1, RSA: 2, 'TLS1.3': 3, unknown: 3 })[suite.keyExchange] * 10 + (/_GCM_|CHACHA20/.test(suite.name) ? 0 : /_SHA(256|384)$/.test(suite.name) ? 1 : 2);
const modern = KNOWN_SUITES.filter((suite) => !isLegacy(suite) && suite.authentication !== 'DSS').sort((a, b) => rank(a) - rank(b));

function suitesFor(name: HelloProbeName, version: number): number[] {
  const candidates =
    name === 'dhe' ? KNOWN_SUITES.filter((suite) => suite.keyExchange === 'DHE') :
    name === 'ecdhe' ? KNOWN_SUITES.filter((suite) => suite.keyExchange === 'ECDHE') :
    name === 'legacy' ? KNOWN_SUITES.filter(isLegacy) :
    name === 'ssl3' ? KNOWN_SUITES.filter((suite) => (suite.keyExchange === 'DHE' || suite.keyExchange === 'RSA') && encrypts(suite)) :
    modern;
  return candidates.filter(usable(version)).map((suite) => suite.code);
}

const VERSION_OF: Record<'tls1.2' | 'tls1.1' | 'tls1.0' | 'ssl3', number> = { 'tls1.2': 0x0303, 'tls1.1': 0x0302, 'tls1.0': 0x0301, ssl3: 0x0300 };

/** A probe's hello; dhe, ecdhe and legacy are asked at the best version the server took. */
export function helloPlan(name: HelloProbeName, bestVersion = 0x0303): HelloPlan {
  const version = name in VERSION_OF ? VERSION_OF[name as keyof typeof VERSION_OF] : bestVersion;
  const question =
    name === 'dhe' ? `DHE only, at ${versionName(version)}` :
    name === 'ecdhe' ? `ECDHE only, at ${versionName(version)}` :
    name === 'legacy' ? `legacy suites only (3DES, RC4, NULL, export), at ${versionName(version)}` :
    `${version === 0x0300 ? 'an' : 'a'} ${versionName(version)} hello`;
  return { name, version, suites: suitesFor(name, version), question };
}

/** RSA-PSS, PKCS#1 and ECDSA with SHA-2, then SHA-1 (RFC 8446 §4.2.3 codes). */
const SIGNATURE_ALGORITHMS = [0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0603, 0x0201, 0x0203];
/** x25519, secp256r1, secp384r1, secp521r1, x448: OpenSSL 3.0's default curves, no FFDHE. */
const GROUPS = [29, 23, 24, 25, 30];

/** The hello as a record, ready for the wire; an SSLv3 hello has no extensions at all. */
export function helloRecord(plan: HelloPlan, serverName: string | undefined, random = randomBytes(32)): { record: Buffer; random: Buffer } {
  const extensions: Extension[] | undefined =
    plan.version === 0x0300
      ? undefined
      : [
          ...(serverName ? [clientExtension.serverName(serverName)] : []),
          clientExtension.supportedGroups(GROUPS),
          clientExtension.ecPointFormats(),
          ...(plan.version >= 0x0303 ? [clientExtension.signatureAlgorithms(SIGNATURE_ALGORITHMS)] : []),
          clientExtension.renegotiationInfo(),
          clientExtension.extendedMasterSecret(),
        ];
  const message = clientHello({ version: plan.version, random, cipherSuites: plan.suites, ...(extensions ? { extensions } : {}) });
  return { record: encodeRecord(ContentType.Handshake, Math.min(plan.version, 0x0301), message), random };
}

