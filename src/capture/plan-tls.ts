// The TLS half of a captured scenario. The rules, in order:
// - STARTTLS refused: a reply fault at STARTTLS with the server's own reply.
// - No hello answered with a ServerHello: the first probe's ending is the TLS fault
//   (abort-close, abort-reset, abort-silence, abort-garbage, abort-alert, abort-midway).
// - A ServerHello, then an alert or silence: the scripted engine, alertAfter or stopAfter
//   that step.
// - Otherwise the engine is Node's, unless something only the scripted engine serves is
//   what a client meets: an SSLv3-only server, no renegotiation_info, a bad ServerKeyExchange
//   signature, or DHE chosen over ECDHE. A server that speaks TLS 1.3 stays on Node's
//   engine whatever it does at 1.2, since the clients judged here all speak 1.3; what is
//   lost that way is a note.
import { DEFAULT_SUITES, VERSION_CODES, findSuite, type ProtocolVersion } from '../tls/engine/suites.js';
import { dhParamsPem } from '../tls/engine/groups.js';
import type { ScenarioInput } from '../scenario/schema.js';
import type { DhFindings } from './dh.js';
import { describeDh } from './dh.js';
import type { Findings, HelloProbeResult, TlsFindings } from './findings.js';
import { planCertificate } from './plan-certificate.js';
import { replyLines, type FaultInput } from './plan-smtp.js';

type TlsInput = NonNullable<ScenarioInput['tls']>;

export interface TlsPlan {
  tls?: TlsInput;
  faults: FaultInput[];
  defects: string[];
  notes: string[];
  /** The captured DH parameters, when the scenario serves them from a file. */
  dhParams?: string;
}

export interface TlsPlanOptions {
  /** The file name the scenario gives its DH parameters (a --out file's neighbour); none on stdout. */
  dhFile?: string;
}

const DEFAULT_READY = '220 2.0.0 Ready to start TLS';
const ENGINE_VERSIONS: readonly ProtocolVersion[] = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2'];
const ORDER = ['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const ascending = (versions: readonly string[]) => [...versions].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));

export function planTls(findings: Findings, options: TlsPlanOptions): TlsPlan {
  const plan: TlsPlan = { faults: [], defects: [], notes: [] };
  const smtp = findings.smtp;
  if (!findings.target.implicit) {
    if (!smtp?.starttls) {
      if (smtp?.starttlsAdvertised) {
        plan.tls = {};
        plan.notes.push('STARTTLS was not tried (--no-starttls): the TLS side is not captured, the default certificate is served');
      }
      return plan;
    }
    if (!smtp.starttlsAdvertised) plan.defects.push('STARTTLS not advertised');
    if (smtp.starttls.code !== 220) {
      plan.tls = {};
      plan.faults.push({ fault: 'reply', on: 'STARTTLS', reply: replyLines(smtp.starttls).length === 1 ? replyLines(smtp.starttls)[0]! : replyLines(smtp.starttls) });
      plan.defects.push(`STARTTLS refused with ${replyLines(smtp.starttls).join(' / ')}`);
      return plan;
    }
    const ready = replyLines(smtp.starttls);
    plan.tls = ready.length === 1 && ready[0] !== DEFAULT_READY ? { ready: ready[0]! } : ready.length > 1 ? { ready } : {};
    if (smtp.injected?.length) {
      plan.faults.push({ fault: 'inject', on: 'STARTTLS', lines: smtp.injected });
      plan.defects.push('plaintext lines come with the 220 to STARTTLS (response injection)');
    }
  } else {
    plan.tls = { implicit: true };
  }
  const tls = findings.tls;
  if (!tls) return plan;
  if (tls.certificate) {
    const certificate = planCertificate(tls.certificate);
    if (certificate.profile !== 'valid') plan.tls.cert = certificate.profile;
    plan.defects.push(...certificate.defects);
    plan.notes.push(...certificate.notes);
  }
  // A ServerHello and then a close is no version a client can use: the ending is the fault.
  const primary = tls.probes[0]!;
  const broken = ['close', 'reset', 'silence', 'garbage', 'midway', 'malformed'].includes(primary.outcome) && !tls.tls13?.ok;
  if (tls.versions.length === 0 || broken) return planFailure(plan, primary, tls);
  planHandshake(plan, tls, options);
  return plan;
}

/** Every hello met the same end, before any ServerHello. */
function planFailure(plan: TlsPlan, primary: HelloProbeResult, tls: TlsFindings): TlsPlan {
  const fault = (name: string, defect: string, settings: Record<string, unknown> = {}) => {
    plan.faults.push({ fault: name, on: 'TLS', ...settings });
    plan.defects.push(defect);
    return plan;
  };
  switch (primary.outcome) {
    case 'close':
      return fault('abort-close', 'the server closes the connection instead of answering the ClientHello');
    case 'reset':
      return fault('abort-reset', 'the server resets the connection instead of answering the ClientHello');
    case 'silence':
      return fault('abort-silence', 'the ClientHello is never answered');
    case 'garbage':
      return fault('abort-garbage', `the ClientHello is answered in plaintext: ${JSON.stringify(primary.garbage!.slice(0, 60))}`, { text: primary.garbage! });
    case 'alert': {
      const legacy = tls.probes.find((probe) => probe.probe === 'legacy' && probe.version);
      if (legacy) plan.notes.push(`the server has only legacy suites: it chose ${legacy.suite} when offered 3DES, RC4, NULL and export suites (what current clients meet is the alert)`);
      if (primary.steps.length) plan.notes.push(`the alert came after ${primary.steps.join(', ')} with no usable ServerHello (served as an alert in place of the hello)`);
      return fault('abort-alert', `the ClientHello is answered with alert ${primary.alert!.code} (${primary.alert!.name})`, { alert: primary.alert!.code });
    }
    default:
      if (primary.outcome === 'malformed') plan.notes.push(`the flight did not parse (${primary.problem}); served as a flight cut at the same length`);
      return fault('abort-midway', `the server sends ${primary.bytes} bytes of its flight, then closes`, { bytes: Math.max(1, primary.bytes) });
  }
}

function planHandshake(plan: TlsPlan, tls: TlsFindings, options: TlsPlanOptions): void {
  const tlsInput = plan.tls!;
  const primary = tls.probes[0]!;
  const scripted: string[] = [];
  const script: NonNullable<TlsInput['script']> = {};
  const ssl3Only = tls.versions.length === 1 && tls.versions[0] === 'SSLv3';
  if (ssl3Only) scripted.push('it answers every hello with an SSLv3 ServerHello');
  if (tls.renegotiationInfo === false) {
    scripted.push('its ServerHello has no renegotiation_info (RFC 5746)');
    script.omitRenegotiationInfo = true;
  }
  if (tls.signatureValid === false) {
    scripted.push('its ServerKeyExchange signature does not verify');
    script.corrupt = 'ske-signature';
  }
  const lastStep = primary.steps.filter((step) => step !== 'CertificateRequest').pop();
  if (primary.outcome === 'alert' && lastStep) {
    scripted.push(`it sends alert ${primary.alert!.code} (${primary.alert!.name}) after its ${lastStep}`);
    script.alertAfter = { step: lastStep as 'Certificate', alert: primary.alert!.code };
  } else if (primary.outcome === 'stopped' && lastStep) {
    scripted.push(`it goes silent after its ${lastStep}`);
    script.stopAfter = lastStep as 'Certificate';
  }
  const dheChosen = tls.keyExchange === 'DHE';
  const dhDefect = tls.dh && isWeak(tls.dh) ? `DHE with ${describeDh(tls.dh)}` : undefined;
  if (dheChosen && !ssl3Only) scripted.push(dhDefect ?? `it chooses DHE${tls.dh ? ` (${tls.dh.bits} bits)` : ''} over ECDHE`);
  const speaksTls13 = tls.versions.includes('TLSv1.3');
  if (scripted.length && !speaksTls13) {
    serveScripted(plan, tlsInput, tls, script, options);
    plan.defects.push(...scripted.filter((reason) => !reason.startsWith('it chooses DHE') || dhDefect));
    return;
  }
  for (const reason of scripted.filter((reason) => !reason.startsWith('it chooses DHE'))) plan.notes.push(`at TLS 1.2 and below ${reason} (not reproduced: the server speaks TLS 1.3, which every client judged here prefers)`);
  if (!dheChosen && dhDefect) plan.notes.push(`it also offers ${dhDefect} when asked for DHE only (not reproduced: clients that offer ECDHE never see it)`);
  serveNode(plan, tlsInput, tls);
}

const isWeak = (dh: DhFindings) => dh.bits < 2048 || dh.prime === false || dh.safePrime === false || dh.generatorOrder !== undefined;

function serveNode(plan: TlsPlan, tlsInput: TlsInput, tls: TlsFindings): void {
  const versions = ascending(tls.versions.filter((version) => version !== 'SSLv3'));
  if (tls.versions.includes('SSLv3')) plan.notes.push('it also accepts SSLv3 (not reproduced: Node serves no SSLv3, and no current client offers it)');
  if (versions.join() !== 'TLSv1.2,TLSv1.3') tlsInput.versions = versions as TlsInput['versions'];
  if (!versions.includes('TLSv1.2')) plan.defects.push(`only ${versions.join(', ')}`);
  if (tls.keyExchange === 'RSA' && !versions.includes('TLSv1.3')) plan.notes.push(`it chooses RSA key exchange (${tls.suite}): not reproduced, Node's engine chooses ECDHE`);
  if (tls.clientCertificateRequested) {
    tlsInput.clientCert = 'required';
    plan.defects.push('a client certificate is required');
  }
  // OpenSSL 3 loads a weak key or digest only at security level 0 (as the catalogue's own
  // scenarios serve them), and TLS 1.3 cannot sign with a 512-bit key.
  if (tlsInput.cert && ['weak-key-512', 'weak-key-1024', 'sha1-signed', 'md5-signed'].includes(tlsInput.cert)) tlsInput.ciphers = 'DEFAULT:@SECLEVEL=0';
  if (tlsInput.cert === 'weak-key-512') tlsInput.versions = ['TLSv1.2'];
}

function serveScripted(plan: TlsPlan, tlsInput: TlsInput, tls: TlsFindings, script: NonNullable<TlsInput['script']>, options: TlsPlanOptions): void {
  tlsInput.engine = 'scripted';
  const versions = ascending(tls.versions.filter((version): version is ProtocolVersion => (ENGINE_VERSIONS as readonly string[]).includes(version)));
  if (versions.join() !== 'TLSv1,TLSv1.1,TLSv1.2') tlsInput.versions = versions as TlsInput['versions'];
  if (versions.length && Math.max(...versions.map((version) => VERSION_CODES[version as ProtocolVersion])) < 0x0303 && !versions.includes('SSLv3')) {
    plan.defects.push(`only ${versions.join(', ')}`);
  }
  if (tls.dh) Object.assign(tlsInput, dhSetting(tls.dh, plan, options));
  if (tls.keyExchange !== 'DHE' && tls.keyExchange) {
    plan.notes.push(`it chooses ${tls.keyExchange} (${tls.suite}); the scripted engine serves the same faults over DHE`);
  }
  // Only a TLS 1.2 choice says what the server prefers among all the engine's suites.
  // The engine's legacy suites (static RSA, 3DES, RC4, NULL) are not planned here: the faults are served over DHE.
  const chosen = tls.suite && tls.probes[0]!.version === 'TLSv1.2' ? DEFAULT_SUITES.find((suite) => suite === findSuite(tls.suite!)) : undefined;
  if (chosen && chosen !== DEFAULT_SUITES[0]) tlsInput.ciphers = [chosen, ...DEFAULT_SUITES.filter((suite) => suite !== chosen)].map((suite) => suite.openssl).join(':');
  if (tls.keyExchange === 'DHE' && tls.suite && !chosen) plan.notes.push(`it chooses ${tls.suite}, which the scripted engine lacks; it serves its own DHE suites`);
  if (Object.keys(script).length) tlsInput.script = script;
  if (tls.clientCertificateRequested) plan.notes.push('it asks for a client certificate (not reproduced: the scripted engine does not ask)');
}

const ENGINE_GROUPS: Record<string, 480 | 512 | 768 | 1024 | 2048 | 'composite' | 'small-subgroup'> = {
  '480': 480,
  '512': 512,
  composite: 'composite',
  'small-subgroup': 'small-subgroup',
  'rfc2409-768': 768,
  'rfc2409-1024': 1024,
  'rfc3526-2048': 2048,
};

/** A catalogue group of the same size and kind, else the captured group itself (as a file). */
function dhSetting(dh: DhFindings, plan: TlsPlan, options: TlsPlanOptions): Partial<Pick<TlsInput, 'dh'>> {
  const own = dh.known && ENGINE_GROUPS[dh.known.name];
  if (own === 2048) return {};
  if (own !== undefined) return { dh: own };
  const sameSize = ([480, 512, 768, 1024, 2048] as const).find((bits) => bits === dh.bits);
  if (dh.known && dh.safePrime && sameSize) {
    plan.notes.push(`the server's group is ${dh.known.source}; served as broken-mta's ${sameSize}-bit group, a safe prime of the same size`);
    return { dh: sameSize };
  }
  if (options.dhFile) {
    plan.dhParams = dhParamsPem(BigInt(`0x${dh.p}`), BigInt(`0x${dh.g}`));
    return { dh: { file: options.dhFile } };
  }
  const fallback = dh.prime === false ? 'composite' : dh.generatorOrder !== undefined ? 'small-subgroup' : ([480, 512, 768, 1024, 2048] as const).find((bits) => bits >= dh.bits) ?? 2048;
  plan.notes.push(`the server's group (${describeDh(dh)}) is served as the engine's ${fallback}; write the file with --out to keep the captured group itself`);
  return { dh: fallback };
}
