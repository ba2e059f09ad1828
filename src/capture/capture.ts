// `broken-mta capture`: the order of the probes, each on its own connection, and what the
// answers of one decide about the next. Progress goes out one line per probe.
import { judgeChain, loadTrustStore } from './certificate.js';
import { probeHello, probeNodeTls, probeSmtp, type Target } from './connection.js';
import { describeNodeTls, describeOutcome, type Findings, type HelloProbeResult, type TlsFindings } from './findings.js';
import { helloPlan, type HelloProbeName } from './hellos.js';
import { VERSION_CODES, type ProtocolVersion } from '../tls/engine/suites.js';

export interface CaptureOptions extends Target {
  /** A CA to trust besides the system's (a private CA, or broken-mta's test CA). */
  caFile?: string;
  onProgress?: (line: string) => void;
}

/** Outcomes after which no other hello is worth sending: the server answers every hello so. */
const FAULTS = new Set(['close', 'reset', 'silence', 'garbage', 'midway', 'malformed']);

export async function capture(options: CaptureOptions): Promise<Findings> {
  const progress = options.onProgress ?? (() => undefined);
  const at = new Date().toISOString();
  const findings: Findings = {
    capture: { tool: 'broken-mta capture', format: 1, at },
    target: { host: options.host, port: options.port, implicit: options.implicit, ...(options.serverName ? { serverName: options.serverName } : {}) },
  };
  if (!options.implicit) {
    progress('smtp: banner, EHLO, STARTTLS');
    findings.smtp = await probeSmtp(options);
    progress(`smtp: ${describeSmtp(findings)}`);
    if (!options.starttls || findings.smtp.starttls?.code !== 220) return findings;
  } else {
    progress('implicit TLS: SMTP inside Node\'s TLS');
    const inside = await probeNodeTls(options, { minVersion: 'TLSv1', smtp: true });
    if (inside.smtp) findings.smtp = inside.smtp;
    progress(`implicit TLS: ${inside.ok ? `${inside.protocol}, ${findings.smtp?.banner ? describeSmtp(findings) : inside.error ?? 'no banner'}` : inside.error}`);
  }
  findings.tls = await probeTls(options, progress);
  return findings;
}

function describeSmtp(findings: Findings): string {
  const smtp = findings.smtp!;
  const banner = smtp.banner ? `banner ${smtp.banner.code}` : 'no banner';
  const hello = smtp.ehlo ? `EHLO ${smtp.ehlo.code}${smtp.helo ? `, HELO ${smtp.helo.code}` : ''}` : '';
  const starttls = smtp.starttls ? `STARTTLS ${smtp.starttlsAdvertised ? '' : '(not advertised) '}${smtp.starttls.code}` : 'no STARTTLS';
  return [banner, hello, starttls].filter(Boolean).join(', ');
}

async function probeTls(options: CaptureOptions, progress: (line: string) => void): Promise<TlsFindings> {
  const probes: HelloProbeResult[] = [];
  const random = new Map<HelloProbeName, Buffer>();
  const chains = new Map<HelloProbeName, Buffer[]>();
  const run = async (name: HelloProbeName, best?: number) => {
    const plan = helloPlan(name, best);
    const outcome = await probeHello(options, plan);
    const result = describeOutcome(outcome);
    random.set(name, outcome.random);
    if (outcome.flight.chain) chains.set(name, outcome.flight.chain);
    probes.push(result);
    progress(`${name}: ${plan.question} -> ${summarize(result)}`);
    return result;
  };
  const primary = await run('tls1.2');
  const tls13 = await probeNodeTls(options, { minVersion: 'TLSv1.3', smtp: false });
  progress(`tls1.3: Node's TLS 1.3 client -> ${tls13.ok ? `${tls13.protocol} ${tls13.cipher}` : tls13.error}`);
  const findings: TlsFindings = { probes, tls13: describeNodeTls(tls13), versions: [], clientCertificateRequested: false };
  if (!FAULTS.has(primary.outcome) || tls13.ok) {
    for (const name of ['tls1.1', 'tls1.0', 'ssl3'] as const) await run(name);
  }
  const accepted = probes.filter((probe) => probe.version && probe.version === offeredVersion(probe.probe));
  findings.versions = [...(tls13.ok && tls13.protocol === 'TLSv1.3' ? ['TLSv1.3'] : []), ...new Set(accepted.map((probe) => probe.version!))];
  const best = accepted.map((probe) => VERSION_CODES[probe.version as ProtocolVersion]).sort((a, b) => b - a)[0];
  if (best !== undefined && best > 0x0300) {
    if (primary.keyExchange !== 'DHE') await run('dhe', best);
    if (primary.keyExchange !== 'ECDHE') await run('ecdhe', best);
  }
  if (primary.outcome === 'alert' && !primary.version && [40, 71].includes(primary.alert!.code)) await run('legacy', 0x0303);
  summarizeTls(findings, primary, probes);
  const chainProbe = probes.find((probe) => chains.has(probe.probe));
  const chain = chainProbe ? chains.get(chainProbe.probe) : tls13.chain;
  if (chain?.length) findings.certificate = await judgeChain(chain, loadTrustStore(options.caFile), options.serverName ?? options.host);
  return findings;
}

const offeredVersion = (name: HelloProbeName) => ({ 'tls1.2': 'TLSv1.2', 'tls1.1': 'TLSv1.1', 'tls1.0': 'TLSv1', ssl3: 'SSLv3' })[name as 'tls1.2'];

function summarizeTls(findings: TlsFindings, primary: HelloProbeResult, probes: HelloProbeResult[]): void {
  const answered = probes.filter((probe) => probe.version);
  const first = primary.version ? primary : answered[0];
  if (first?.suite) Object.assign(findings, { suite: first.suite, keyExchange: first.keyExchange });
  const dh = probes.find((probe) => probe.dh)?.dh;
  if (dh) findings.dh = dh;
  const curve = probes.find((probe) => probe.curve)?.curve;
  if (curve) findings.curve = curve;
  // An SSLv3 hello has no extensions: only the hellos that offered renegotiation_info count.
  const withExtensions = answered.filter((probe) => probe.probe !== 'ssl3');
  if (withExtensions.length) findings.renegotiationInfo = withExtensions.every((probe) => probe.renegotiationInfo);
  findings.clientCertificateRequested = probes.some((probe) => probe.certificateRequest);
  const signed = probes.filter((probe) => probe.signatureValid !== undefined);
  if (signed.length) findings.signatureValid = signed.every((probe) => probe.signatureValid);
}

function summarize(result: HelloProbeResult): string {
  const hello = result.version ? `${result.version} ${result.suite}` : '';
  const extra = [result.dh ? `DH ${result.dh.bits} bits${result.dh.known ? ` (${result.dh.known.name})` : ''}` : '', result.curve ?? ''].filter(Boolean).join(', ');
  switch (result.outcome) {
    case 'hello':
      return [hello, extra].filter(Boolean).join(', ');
    case 'alert':
      return `${hello ? `${hello}, then ` : ''}alert ${result.alert!.code} (${result.alert!.name})${result.steps.length ? ` after ${result.steps[result.steps.length - 1]}` : ''}`;
    case 'garbage':
      return `not TLS: ${JSON.stringify(result.garbage!.slice(0, 40))}`;
    case 'midway':
      return `${result.bytes} bytes, then the connection closed`;
    case 'stopped':
      return `${result.steps.join(', ') || `${result.bytes} bytes`}, then silence`;
    case 'malformed':
      return `malformed: ${result.problem}`;
    default:
      return result.outcome === 'silence' ? 'no answer' : `the server ${result.outcome === 'reset' ? 'reset' : 'closed'} the connection`;
  }
}
