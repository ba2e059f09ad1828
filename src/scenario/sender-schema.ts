// Sender scenarios: broken-mta as a known-bad SMTP *client*, pointed at the admin's MTA.
// The same page as a server scenario (name, summary, imitates, symptoms, fixes) and the
// same `when` rules; what the sender does lives in one `sender:` section, so that no key
// of a server scenario (smtp, tls, faults) changes its meaning with the role.
import { z } from 'zod';
import { whenSettings } from '../faults/when.js';
import { SENDER_FAULTS } from '../sender/faults/registry.js';
import { SENDER_STEPS } from '../sender/faults/fault.js';
import { ALERT_NAMES } from '../tls/alerts.js';
import { SERVER_FLIGHT_STEPS } from '../tls/engine/client.js';
import { suiteCode } from '../tls/engine/client-hello.js';

import { receiverClaimSchema } from './sender-claims.js';

// `client` (a client address) means nothing when broken-mta is the client.
const { client: _client, ...senderWhen } = whenSettings;

const faultEntries = SENDER_FAULTS.map((fault) => {
  const step = z.enum(fault.steps as [string, ...string[]]);
  return z
    .strictObject({
      fault: z.literal(fault.name).describe(fault.summary),
      on: z.union([step, z.array(step).min(1)]).describe('The step (or steps) the fault acts at'),
      ...senderWhen,
      ...fault.settings,
    })
    .describe(fault.summary);
});
const faultEntry = z.discriminatedUnion('fault', faultEntries as unknown as [(typeof faultEntries)[0], ...typeof faultEntries]);

const flightStep = z.enum(SERVER_FLIGHT_STEPS);
const alertSetting = z
  .union([z.number().int().min(0).max(255), z.enum(Object.values(ALERT_NAMES) as [string, ...string[]])])
  .describe('By number or by name');

const clientTls = z
  .strictObject({
    engine: z
      .enum(['node', 'scripted'])
      .default('node')
      .describe("node: Node's TLS client does the handshake; scripted: broken-mta's own ClientHello, for what OpenSSL 3 will not offer (SSLv3, RC4, no renegotiation_info); it completes no handshake"),
    versions: z
      .array(z.enum(['SSLv3', 'TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3']))
      .min(1)
      .optional()
      .describe('The protocol versions the sender offers (default: what Node offers, TLS 1.2 and 1.3; SSLv3 with engine: scripted only)'),
    ciphers: z
      .string()
      .optional()
      .describe('node: an OpenSSL cipher string (TLS 1.2 and older); scripted: a colon-separated list of suite names (IANA or OpenSSL), in order'),
    serverName: z.string().optional().describe('(scripted) the server_name to send; none by default'),
    renegotiationInfo: z.boolean().default(true).describe('(scripted) send an empty renegotiation_info, as every client since RFC 5746 does'),
    script: z
      .strictObject({
        alertAfter: z.strictObject({ step: flightStep, alert: alertSetting }).optional().describe("Send this fatal alert right after the server's message, then close"),
        closeAfter: flightStep.optional().describe("Close the connection without a word right after the server's message"),
        stopAfter: flightStep.optional().describe("Say nothing more after the server's message"),
      })
      .optional()
      .describe("Scripted misbehaviour on the server's first flight (its messages are read only up to TLS 1.2: offer versions up to TLSv1.2 to act on CertificateRequest)"),
  })
  .describe("The sender's TLS client")
  .superRefine((tls, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (tls.engine === 'node') {
      if (tls.versions?.includes('SSLv3')) issue('versions', 'SSLv3 needs engine: scripted (OpenSSL 3 has no SSLv3)');
      if (tls.serverName !== undefined) issue('serverName', 'serverName is for engine: scripted');
      return;
    }
    if (tls.versions?.includes('TLSv1.3')) issue('versions', 'engine: scripted offers SSLv3 to TLSv1.2, not TLSv1.3');
    if (!tls.versions) issue('versions', 'engine: scripted needs the versions to offer');
    if (!tls.ciphers) issue('ciphers', 'engine: scripted needs the suites to offer, by name');
    for (const name of tls.ciphers?.split(':') ?? []) if (suiteCode(name) === undefined) issue('ciphers', `no suite named ${name} (IANA or OpenSSL names, as src/tls/engine/suites.ts has them)`);
  });

const outcome = z
  .strictObject({
    delivered: z.boolean().optional().describe('Whether the receiver accepted a message (250 after the final dot)'),
    messages: z.number().int().min(0).optional().describe('How many messages the receiver accepted'),
    tls: z
      .enum(['established', 'failed', 'refused', 'none'])
      .optional()
      .describe('established: a handshake completed; failed: one began and failed; refused: STARTTLS got no 220; none: STARTTLS was not asked for'),
    secure: z.boolean().optional().describe('Whether the message the receiver accepted came over TLS'),
    split: z.boolean().optional().describe('Whether the receiver answered commands hidden inside the message (SMTP smuggling)'),
    recipientsRefused: z.boolean().optional().describe('Whether the receiver refused some recipients'),
  })
  .describe('One outcome of a whole run, as broken-mta send reports it; a field left out may be anything');

export const senderScenarioSchema = z.strictObject({
  // As for server scenarios, a user's own file needs only its behaviour; the catalogue's
  // test asks the page of every catalogue sender.
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes').describe("Default: the file's name"),
  summary: z.string().min(1).optional().describe('One line for `broken-mta list --senders`'),
  imitates: z.string().min(1).optional().describe('The real sender this plays'),
  symptoms: z.array(receiverClaimSchema).default([]).describe('What receiving MTAs make of this sender: claims a test checks'),
  fixes: z.array(z.string().min(1)).default([]).describe("What the receiver's admin can do, and the sender's"),
  sender: z
    .strictObject({
      starttls: z.boolean().default(true).describe('Ask for STARTTLS when the receiver offers it'),
      tls: clientTls.prefault({}),
      retry: z
        .literal('plaintext')
        .optional()
        .describe('After a session whose TLS failed, connect again and send without STARTTLS, as many MTAs do'),
      sessions: z.number().int().min(1).max(100).default(1).describe('How many sessions, one message each (`--count` overrides)'),
      faults: z.array(faultEntry).default([]),
    })
    .describe('What the sender does; everything not named here is a correct SMTP client'),
  expect: z
    .union([outcome, z.array(outcome).min(1)])
    .optional()
    .describe('What a healthy receiver makes of this sender: `broken-mta send` exits 0 when the run matches one of these'),
});

export type SenderScenario = z.output<typeof senderScenarioSchema>;
export type SenderScenarioInput = z.input<typeof senderScenarioSchema>;
export type SenderFaultEntry = SenderScenario['sender']['faults'][number];
export type SenderOutcomeExpectation = z.output<typeof outcome>;
export { SENDER_STEPS };
