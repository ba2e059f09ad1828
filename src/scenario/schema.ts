// The scenario file format, as one zod schema. Unknown keys are errors everywhere, so a
// typo never silently turns a misbehaviour off. schema.json is generated from this.
import { z } from 'zod';
import { SERVED_PROFILE_NAMES } from '../certs/profiles.js';
import { STEPS, replySetting } from '../faults/fault.js';
import { FAULTS } from '../faults/registry.js';
import { whenSettings } from '../faults/when.js';

export const CLIENTS = ['openssl', 'gnutls', 'sendmail', 'postfix', 'nodemailer', 'node', 'swaks'] as const;

const symptom = z.union([
  z.strictObject({ client: z.enum(CLIENTS), text: z.string().min(1) }),
  z.strictObject({ server: z.literal(true), text: z.string().min(1) }),
]);


const faultEntries = FAULTS.map((fault) => {
  const step = z.enum(fault.steps as [string, ...string[]]);
  return z
    .strictObject({
      fault: z.literal(fault.name).describe(fault.summary),
      on: z.union([step, z.array(step).min(1)]).describe('The step (or steps) the fault acts at'),
      ...whenSettings,
      ...fault.settings,
    })
    .describe(fault.summary);
});

const faultEntry = z.discriminatedUnion('fault', faultEntries as unknown as [typeof faultEntries[0], ...typeof faultEntries]);

const clientExpectation = z
  .strictObject({
    delivered: z.boolean().optional().describe('Whether the server receives the message'),
    tls: z.enum(['established', 'failed', 'none']).optional().describe('How STARTTLS ends, as the server saw it'),
    alert: z.number().int().min(0).max(255).optional().describe('The alert the client sends, by number'),
    exit: z.union([z.enum(['zero', 'nonzero']), z.number().int()]).optional().describe("The client's exit code"),
    output: z.union([z.string().min(1), z.array(z.string().min(1))]).optional().describe('Text the client prints'),
  })
  .describe("What `broken-mta matrix` expects of one kind of client, run as the README's matrix section shows");

const tlsVersion = z.enum(['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']);

export const scenarioSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    summary: z.string().min(1).describe('One line for `broken-mta list`'),
    imitates: z.string().min(1).describe('The real server this plays'),
    symptoms: z.array(symptom).min(1).describe('What real clients (and the server) print'),
    fixes: z.array(z.string().min(1)).min(1).describe('What makes the mail flow again, and on which side'),
    smtp: z
      .strictObject({
        greeting: z
          .string()
          .regex(/^220[ -]/, 'a greeting starts with 220')
          .optional()
          .describe('The banner; {hostname} stands for the server name'),
        ehlo: z.array(z.string().min(1)).optional().describe('The EHLO keywords, replacing the defaults'),
        size: z.number().int().min(1).optional().describe('The SIZE advertised and enforced (552 beyond), in bytes'),
      })
      .default({}),
    tls: z
      .strictObject({
        engine: z.literal('node').default('node').describe("node: Node's own TLS"),
        cert: z.enum(SERVED_PROFILE_NAMES).default('valid').describe('The certificate profile served'),
        clientCert: z
          .enum(['required'])
          .optional()
          .describe('required: ask for a client certificate from the test CA and refuse a client without one'),
        versions: z.array(tlsVersion).min(1).optional().describe('The protocol versions served'),
        ciphers: z.string().optional().describe('OpenSSL cipher string'),
        implicit: z.boolean().default(false).describe('TLS from the first byte (port 465 style) instead of STARTTLS; TLS faults act at connect'),
        dh: z.literal('auto').optional().describe('Offer DHE key exchange, with a group sized to the key (Node TLS)'),
        ready: replySetting.default('220 2.0.0 Ready to start TLS').describe('The reply that agrees to STARTTLS'),
      })
      .optional()
      .describe('STARTTLS is offered only when this section is present'),
    faults: z.array(faultEntry).default([]),
    expect: z.partialRecord(z.enum(CLIENTS), clientExpectation).optional().describe('Per kind of client, for `broken-mta matrix`'),
  })
  .superRefine((scenario, ctx) => {
    scenario.faults.forEach((fault, index) => {
      for (const step of [fault.on].flat()) {
        if ((step === 'STARTTLS' || step === 'TLS') && !scenario.tls) {
          ctx.addIssue({ code: 'custom', path: ['faults', index, 'on'], message: `a fault on ${step} needs a tls section` });
        }
      }
      if (fault.match !== undefined) {
        try {
          new RegExp(fault.match);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: ['faults', index, 'match'], message: `not a regular expression: ${(error as Error).message}` });
        }
      }
    });
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ClientExpectation = z.output<typeof clientExpectation>;
export type FaultEntry = Scenario['faults'][number];
export type TlsSettings = NonNullable<Scenario['tls']>;
export { STEPS };
