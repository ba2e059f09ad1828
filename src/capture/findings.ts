// What the probes saw, as data: one HelloProbeResult per ClientHello, and the Findings of a
// whole capture (what `capture --json` prints and `explain` reads). Sans-IO: the results of
// connection.ts in, plain data out.
import { constants, createHash, publicDecrypt, verify, X509Certificate } from 'node:crypto';
import { alert, type TlsAlert } from '../tls/alerts.js';
import { namedGroupName, toBigInt } from '../tls/engine/groups.js';
import { describeSuite, versionName } from '../tls/engine/suites.js';
import type { ChainFindings } from './certificate.js';
import type { HelloOutcome, NodeTlsOutcome } from './connection.js';
import { classifyDh, type DhFindings } from './dh.js';
import type { HelloProbeName } from './hellos.js';
import type { SmtpFindings } from './smtp-dialogue.js';

export type ProbeOutcome = 'hello' | 'alert' | 'garbage' | 'close' | 'reset' | 'silence' | 'midway' | 'stopped' | 'malformed';

export interface HelloProbeResult {
  probe: HelloProbeName;
  question: string;
  outcome: ProbeOutcome;
  /** The handshake messages received before the outcome. */
  steps: string[];
  bytes: number;
  version?: string;
  suite?: string;
  keyExchange?: string;
  alert?: TlsAlert;
  garbage?: string;
  problem?: string;
  renegotiationInfo?: boolean;
  certificateRequest?: boolean;
  curve?: string;
  dh?: DhFindings;
  /** Whether the ServerKeyExchange signature verifies with the leaf's key. */
  signatureValid?: boolean;
}

export interface TlsFindings {
  probes: HelloProbeResult[];
  tls13?: { ok: boolean; protocol?: string; cipher?: string; error?: string };
  /** The versions the server takes when offered them, newest first. */
  versions: string[];
  /** The suite and key exchange chosen for an OpenSSL-like TLS 1.2 hello. */
  suite?: string;
  keyExchange?: string;
  dh?: DhFindings;
  curve?: string;
  renegotiationInfo?: boolean;
  clientCertificateRequested: boolean;
  signatureValid?: boolean;
  certificate?: ChainFindings;
}

export interface Findings {
  capture: { tool: 'broken-mta capture'; format: 1; at: string };
  target: { host: string; port: number; implicit: boolean; serverName?: string };
  smtp?: SmtpFindings;
  tls?: TlsFindings;
}

export function isFindings(value: unknown): value is Findings {
  const findings = value as Partial<Findings> | null;
  return typeof findings === 'object' && findings !== null && findings.capture?.tool === 'broken-mta capture' && typeof findings.target?.host === 'string' && typeof findings.target.port === 'number';
}

export function describeOutcome(outcome: HelloOutcome): HelloProbeResult {
  const { flight, plan } = outcome;
  const result: HelloProbeResult = { probe: plan.name, question: plan.question, outcome: outcomeOf(outcome), steps: [...flight.steps], bytes: flight.bytes };
  const hello = flight.serverHello;
  if (hello) {
    const suite = describeSuite(hello.cipherSuite);
    Object.assign(result, { version: versionName(hello.selectedVersion ?? hello.version), suite: suite.name, keyExchange: suite.keyExchange });
    result.renegotiationInfo = hello.renegotiationInfo !== undefined;
  }
  if (flight.alert) result.alert = alert(flight.alert.code);
  if (flight.garbage !== undefined) result.garbage = flight.garbage;
  if (flight.problem) result.problem = flight.problem;
  if (flight.certificateRequest) result.certificateRequest = true;
  const exchange = flight.keyExchange;
  if (exchange?.kind === 'DHE') result.dh = classifyDh(toBigInt(exchange.p), toBigInt(exchange.g));
  if (exchange?.kind === 'ECDHE') result.curve = namedGroupName(exchange.namedCurve);
  if (exchange && hello && flight.chain?.[0]) result.signatureValid = signatureVerifies(flight.chain[0], outcome.random, hello.random, exchange);
  return result;
}

function outcomeOf({ flight, end }: HelloOutcome): ProbeOutcome {
  if (flight.status === 'complete') return 'hello';
  if (flight.status !== 'reading') return flight.status;
  if (end === 'timeout') return flight.bytes === 0 ? 'silence' : 'stopped';
  if (flight.bytes > 0) return 'midway';
  return end === 'reset' ? 'reset' : 'close';
}

/** RFC 5246 §7.4.3: TLS 1.2 names its hash; TLS 1.0/1.1 sign MD5 and SHA-1 side by side without DigestInfo. */
function signatureVerifies(leaf: Buffer, clientRandom: Buffer, serverRandom: Buffer, exchange: { params: Buffer; signature: Buffer; signatureAlgorithm?: number }): boolean {
  try {
    const key = new X509Certificate(leaf).publicKey;
    const signed = Buffer.concat([clientRandom, serverRandom, exchange.params]);
    const code = exchange.signatureAlgorithm;
    if (code === undefined) {
      if (key.asymmetricKeyType !== 'rsa') return verify('sha1', signed, key, exchange.signature);
      const digest = Buffer.concat([createHash('md5').update(signed).digest(), createHash('sha1').update(signed).digest()]);
      return publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, exchange.signature).equals(digest);
    }
    // RFC 8446 §4.2.3: 0x0804-0x0806 are RSA-PSS; otherwise (hash << 8 | signature).
    const pss = code >= 0x0804 && code <= 0x0806;
    const hash = pss ? ['sha256', 'sha384', 'sha512'][code - 0x0804]! : ({ 1: 'md5', 2: 'sha1', 3: 'sha224', 4: 'sha256', 5: 'sha384', 6: 'sha512' } as Record<number, string>)[code >> 8];
    if (!hash) return false;
    return verify(hash, signed, pss ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : key, exchange.signature);
  } catch {
    return false;
  }
}

export function describeNodeTls(outcome: NodeTlsOutcome): NonNullable<TlsFindings['tls13']> {
  return { ok: outcome.ok, ...(outcome.protocol ? { protocol: outcome.protocol } : {}), ...(outcome.cipher ? { cipher: outcome.cipher } : {}), ...(outcome.error ? { error: outcome.error } : {}) };
}
