// The scenario file format, as one zod schema. Unknown keys are errors everywhere, so a
// typo never silently turns a misbehaviour off. schema.json is generated from this.
import { z } from 'zod';
import { CERT_PROFILES, KEY_SPECS, SERVED_PROFILE_NAMES } from '../certs/profiles.js';
import { FAULTS, findFault } from '../faults/registry.js';
import { replySetting } from '../smtp/reply-setting.js';
import { alertSetting } from '../tls/alert-setting.js';
import { HANDSHAKE_STEPS } from '../tls/engine/engine.js';
import { DH_GROUP_NAMES } from '../tls/engine/groups.js';
import { DEFAULT_SUITES, findSuite, suiteFitsVersion, SUITES, VERSION_CODES } from '../tls/engine/suites.js';
import { DEFAULT_ENGINE_VERSIONS, TLS_VERSIONS } from '../tls/versions.js';
import { claimSchema } from '../claims/claim.js';
import { mtaStsSchema } from '../mta-sts/policy.js';
import { dnsSection } from './dns-schema.js';

/** One entry of `faults`: each fault's own schema, told apart by its name. */
const faultEntry = z.discriminatedUnion('fault', atLeastOne(FAULTS.map((fault) => fault.entry)));

const tlsVersion = z.enum(TLS_VERSIONS);

/** The SASL mechanisms smtp-server implements, as EHLO names them. */
export const AUTH_MECHANISMS = ['PLAIN', 'LOGIN', 'XOAUTH2', 'CRAM-MD5'] as const;

/** The engine's DH groups: the sized ones by their bits (dh: 512), the others by name. */
const dhBits = DH_GROUP_NAMES.map(Number).filter(Number.isInteger);
const dhNames = DH_GROUP_NAMES.filter((name) => !Number.isInteger(Number(name)));

const handshakeStep = z.enum(HANDSHAKE_STEPS);

/** The engine's suites by OpenSSL name, said with their key exchange. */
const ENGINE_SUITES_BY_KEY_EXCHANGE = (['DHE', 'RSA'] as const)
  .map((kind) => `${kind === 'DHE' ? 'DHE_RSA' : 'static RSA'}: ${SUITES.filter((suite) => suite.keyExchange === kind).map((suite) => suite.openssl).join(', ')}`)
  .join('; ');

const script = z
  .strictObject({
    alertAfter: z
      .strictObject({
        step: handshakeStep,
        alert: alertSetting.describe('By number or by name'),
      })
      .optional()
      .describe('Send this fatal alert right after the step, then close'),
    stopAfter: handshakeStep.optional().describe('Send nothing more after this step: the client waits'),
    corrupt: z.enum(['ske-signature', 'finished']).optional().describe("Spoil the ServerKeyExchange signature, or the server's Finished"),
    omitRenegotiationInfo: z.boolean().optional().describe('Leave renegotiation_info out of the ServerHello, as servers from before RFC 5746 (2010) do'),
  })
  .describe('Scripted misbehaviour of the handshake (engine: scripted)');

export const scenarioSchema = z
  .strictObject({
    // Only the behaviour is required of a user's file: a test holds the catalogue to
    // summary, imitates, symptoms and fixes.
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes').optional().describe("Default: the file's name"),
    extends: z.string().min(1).optional().describe('A catalogue name or a .yaml file beside this one to start from: maps merge, lists replace'),
    summary: z.string().min(1).optional().describe('One line for `broken-mta list`'),
    imitates: z.string().min(1).optional().describe('The real server this plays'),
    symptoms: z.array(claimSchema).default([]).describe('What real clients print: each a claim the test suite checks with the real client'),
    fixes: z.array(z.string().min(1)).default([]).describe('What makes the mail flow again, and on which side'),
    smtp: z
      .strictObject({
        greeting: z
          .string()
          .regex(/^220[ -]/, 'a greeting starts with 220')
          .optional()
          .describe('The banner; {hostname} stands for the server name'),
        ehlo: z.array(z.string().min(1)).optional().describe('The EHLO keywords, replacing the defaults'),
        size: z.number().int().min(1).optional().describe('The SIZE advertised and enforced (552 beyond), in bytes'),
        auth: z
          .strictObject({
            mechanisms: z.array(z.enum(AUTH_MECHANISMS)).min(1).default(['PLAIN', 'LOGIN']).describe('Advertised as AUTH ..., in this order'),
          })
          .optional()
          .describe('AUTH is offered only when this section is present; any credentials are accepted unless a fault at END-OF-AUTH says otherwise'),
        chunking: z.boolean().optional().describe('Advertise CHUNKING and take BDAT (RFC 3030)'),
      })
      .default({}),
    tls: z
      .strictObject({
        engine: z
          .enum(['node', 'scripted'])
          .default('node')
          .describe("node: Node's own TLS; scripted: broken-mta's TLS 1.0-1.2 engine, for what OpenSSL 3 refuses to serve (weak DH, SSLv3 hellos, scripted alerts)"),
        cert: z.enum(SERVED_PROFILE_NAMES).default('valid').describe('The certificate profile served'),
        sniFallback: z
          .enum(SERVED_PROFILE_NAMES)
          .optional()
          .describe('Serve `cert` only to a client whose SNI names the server (--hostname); this profile to one that sends no name or another (engine: node)'),
        staple: z
          .literal('ocsp')
          .optional()
          .describe("ocsp: staple the issuer's OCSP answer about `cert` (revoked if the profile is) to every handshake whose client asks for status (engine: node)"),
        clientCert: z
          .enum(['required'])
          .optional()
          .describe('required: ask for a client certificate from the test CA and refuse a client without one'),
        versions: z.array(tlsVersion).min(1).optional().describe('The protocol versions served (SSLv3 with engine: scripted only)'),
        ciphers: z.string().optional().describe(`OpenSSL cipher string; with engine: scripted, a colon-separated list of its suites in order of preference (${ENGINE_SUITES_BY_KEY_EXCHANGE}; default ${DEFAULT_SUITES.map((suite) => suite.openssl).join(':')})`),
        implicit: z.boolean().default(false).describe('TLS from the first byte (port 465 style) instead of STARTTLS; TLS faults act at connect'),
        dh: z
          .union([
            z.literal('auto'),
            z.literal(dhBits),
            z.enum(dhNames),
            z
              .strictObject({ file: z.string().min(1).describe("A path relative to the scenario file's folder (it may not leave it), or an absolute path") })
              .describe('DH parameters from a PEM file, as `openssl dhparam -out FILE BITS` writes it'),
          ])
          .optional()
          .describe('auto: DHE with a group sized to the key (engine: node). A size in bits, composite, small-subgroup or { file }: the DH group the scripted engine offers (2048 when not given)'),
        script: script.optional(),
        ready: replySetting.default('220 2.0.0 Ready to start TLS').describe('The reply that agrees to STARTTLS'),
      })
      .optional()
      .describe('STARTTLS is offered only when this section is present'),
    faults: z.array(faultEntry).default([]),
    mtaSts: mtaStsSchema.optional(),
    dns: dnsSection.optional(),
  })
  .superRefine((scenario, ctx) => {
    checkTls(scenario.tls, ctx);
    checkDns(scenario.dns, scenario.tls, ctx);
    scenario.faults.forEach((fault, index) => {
      checkFaultTls(fault, scenario.tls, (path, message) => ctx.addIssue({ code: 'custom', path: ['faults', index, path], message }));
      if (fault.match !== undefined) {
        try {
          new RegExp(fault.match);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: ['faults', index, 'match'], message: `not a regular expression: ${(error as Error).message}` });
        }
      }
    });
  });

type TlsOutput = z.output<typeof scenarioSchema>['tls'];

/** TLSA records pin what the tls section serves: a certificate at all, and an issuer it sends when they pin one. */
function checkDns(dns: z.output<typeof scenarioSchema>['dns'], tls: TlsOutput, ctx: z.RefinementCtx): void {
  dns?.mx.forEach((mx, index) => {
    if (mx.tlsa.length > 0 && !tls) ctx.addIssue({ code: 'custom', path: ['dns', 'mx', index, 'tlsa'], message: 'TLSA records pin the certificate of a tls section: add one' });
    mx.tlsa.forEach((record, at) => {
      if (tls && record.pins === 'issuer' && CERT_PROFILES[tls.cert].chain.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['dns', 'mx', index, 'tlsa', at, 'pins'], message: `the ${tls.cert} certificate is sent without its issuer: pin the certificate, or serve one sent with its chain (good-chain)` });
      }
    });
  });
}

/** What a fault needs of the scenario's TLS: a tls section at all, an engine it works on; `at` has no reply to follow at TLS. */
function checkFaultTls(fault: { fault: string; on: string | string[]; at?: string }, tls: TlsOutput, issue: (path: string, message: string) => void): void {
  const steps = [fault.on].flat();
  for (const step of steps) if ((step === 'STARTTLS' || step === 'TLS') && !tls) issue('on', `a fault on ${step} needs a tls section`);
  const definition = findFault(fault.fault);
  if (definition?.encryptedStream && !tls) issue('fault', `${fault.fault} acts on TLS and needs a tls section`);
  const engines: readonly string[] | undefined = definition?.engines;
  if (tls && engines && !engines.includes(tls.engine)) issue('fault', `${fault.fault} needs engine: ${engines.join(' or ')} (this scenario's is ${tls.engine})`);
  if (fault.at !== undefined && fault.at !== 'reply' && steps.includes('TLS')) issue('at', `at TLS there is no reply to come after: at: ${fault.at} is for SMTP steps`);
}

/** What each engine can serve, said at the field that asks for more. */
function checkTls(tls: TlsOutput, ctx: z.RefinementCtx): void {
  if (!tls) return;
  const issue = (path: Array<string | number>, message: string) => ctx.addIssue({ code: 'custom', path: ['tls', ...path], message });
  if (tls.engine === 'node') {
    if (tls.dh !== undefined && tls.dh !== 'auto') issue(['dh'], `the DH group ${typeof tls.dh === 'object' ? tls.dh.file : tls.dh} needs engine: scripted (Node serves only dh: auto)`);
    if (tls.script) issue(['script'], 'a handshake script needs engine: scripted');
    if (tls.versions?.includes('SSLv3')) issue(['versions'], 'SSLv3 needs engine: scripted');
    if (tls.staple && CERT_PROFILES[tls.cert].issuer === 'self') issue(['staple'], `${tls.cert} signs itself: no issuer answers OCSP for it`);
    return;
  }
  if (tls.dh === 'auto') issue(['dh'], `engine: scripted takes a DH group (${DH_GROUP_NAMES.join(', ')}), not auto`);
  if (tls.clientCert) issue(['clientCert'], 'engine: scripted does not ask for client certificates');
  if (tls.sniFallback) issue(['sniFallback'], 'engine: scripted serves one certificate, whatever the client names');
  if (KEY_SPECS[CERT_PROFILES[tls.cert].key].kind !== 'rsa') issue(['cert'], `engine: scripted signs with RSA only (DHE_RSA suites); ${tls.cert} has an ${CERT_PROFILES[tls.cert].key} key`);
  if (tls.staple) issue(['staple'], 'engine: scripted does not staple OCSP responses');
  if (tls.versions?.includes('TLSv1.3')) issue(['versions'], 'engine: scripted serves SSLv3 to TLSv1.2, not TLSv1.3');
  checkEngineSuites(tls, issue);
}

/** The scripted engine's suites: each one it has, one at least that a served version can choose, and a script that acts where they go. */
function checkEngineSuites(tls: NonNullable<TlsOutput>, issue: (path: Array<string | number>, message: string) => void): void {
  const names = tls.ciphers?.split(':') ?? [];
  for (const name of names) {
    if (!findSuite(name)) issue(['ciphers'], `engine: scripted has no suite ${name} (it has ${ENGINE_SUITES_BY_KEY_EXCHANGE})`);
  }
  const suites = tls.ciphers ? names.map((name) => findSuite(name)).filter((suite) => suite !== undefined) : DEFAULT_SUITES;
  const versions = (tls.versions ?? DEFAULT_ENGINE_VERSIONS).filter((version) => version !== 'SSLv3' && version !== 'TLSv1.3');
  if (suites.length && versions.length && !suites.some((suite) => versions.some((version) => suiteFitsVersion(suite, VERSION_CODES[version])))) {
    issue(['ciphers'], `no suite here can be chosen at ${versions.join(', ')} (GCM and SHA-256 suites need TLSv1.2; export suites TLSv1)`);
  }
  const { alertAfter, stopAfter, corrupt } = tls.script ?? {};
  if (suites.length && suites.every((suite) => suite.keyExchange === 'RSA') && (alertAfter?.step === 'ServerKeyExchange' || stopAfter === 'ServerKeyExchange' || corrupt === 'ske-signature')) {
    issue(['script'], 'static RSA sends no ServerKeyExchange: the script would never act');
  }
}

/** A scenario as loaded: the loader gives it a name when its file does not. */
export type Scenario = z.output<typeof scenarioSchema> & { name: string };
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type TlsSettings = NonNullable<Scenario['tls']>;

function atLeastOne<T>(items: readonly T[]): [T, ...T[]] {
  const [first, ...rest] = items;
  if (first === undefined) throw new Error('the fault registry is empty');
  return [first, ...rest];
}
