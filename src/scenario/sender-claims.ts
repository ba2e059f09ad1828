// A sender scenario's symptoms are claims a test checks, as a server scenario's are
// (src/claims/claim.ts): which receiving MTA, how it is configured where that differs from
// its plain setup (`with`), and what comes of it: exact text it logs, exact text broken-mta
// send prints, whether the message was taken, how TLS ended, whether the receiver split it.
// The settings are intents ("do not offer STARTTLS to this sender"); each receiver kind
// translates them into its own configuration (src/sender/receivers.ts): Postfix and Exim
// bring translations, not new words. A receiver with no setting for an intent says so there.
import { z } from 'zod';

/** The MTAs a sender scenario is judged by, as receivers. */
export const RECEIVERS = ['sendmail', 'postfix', 'exim'] as const;

const texts = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const receiverSettingsSchema = z
  .strictObject({
    starttls: z.literal('not-offered').optional().describe('The receiver does not offer STARTTLS to this sender'),
    clientCertificate: z.literal('not-asked').optional().describe('The receiver does not ask this sender for a client certificate'),
    pipelining: z.literal('not-offered').optional().describe('PIPELINING is not offered to this sender, and one that pipelines all the same is slowed down'),
    greetPause: z.number().int().min(1).max(60_000).optional().describe('A pause before the greeting, in ms; a sender that talks first is refused'),
    bareCr: z.literal('accepted').optional().describe('A bare CR in a message is taken as text, not refused'),
    commandTimeout: z.number().int().min(1).max(3600).optional().describe('How long the receiver waits for a command, in seconds'),
    maxRecipients: z.number().int().min(1).max(100_000).optional().describe('Recipients taken for one message; beyond, 452'),
    eightBit: z.literal('refused').optional().describe('8-bit text without BODY=8BITMIME is refused'),
    nulBytes: z.literal('refused').optional().describe('A message with NUL bytes is refused'),
    bareNewline: z.literal('refused').optional().describe('A bare LF or CR in a message is refused, from this sender too (the SMTP smuggling fixes)'),
  })
  .describe("How the receiver is set up, where it differs from its plain configuration");

export type ReceiverSettings = z.output<typeof receiverSettingsSchema>;

const CHECKED = ['logs', 'prints', 'delivered', 'tls', 'split', 'queued', 'healthy'] as const;

export const receiverClaimSchema = z
  .strictObject({
    receiver: z.enum(RECEIVERS).describe('The MTA the sender is pointed at'),
    with: receiverSettingsSchema.optional(),
    logs: texts.optional().describe('Exact text of a line the receiver logs (sendmail: syslog): each must be a substring of one line'),
    prints: texts.optional().describe('Exact text of a line `broken-mta send` prints: each must be a substring of one line'),
    delivered: z.boolean().optional().describe('Whether the receiver took a message (250 after the final dot)'),
    tls: z.enum(['established', 'failed', 'refused', 'none']).optional().describe('How STARTTLS ended, over the whole run'),
    split: z.boolean().optional().describe('Whether the receiver answered commands hidden in a message (SMTP smuggling)'),
    queued: z.number().int().min(0).optional().describe("How many messages the run left in the receiver's queue"),
    healthy: z.boolean().optional().describe('Whether this is what the scenario calls healthy (`broken-mta send` exits 0)'),
    note: z.string().min(1).optional().describe('Commentary for the reader; not checked'),
  })
  .superRefine((claim, ctx) => {
    if (!CHECKED.some((key) => claim[key] !== undefined)) ctx.addIssue({ code: 'custom', message: `says nothing to check: give one of ${CHECKED.join(', ')}` });
  })
  .describe('A symptom: a receiving MTA, how it is set up, and what a test checks of the run');

export type ReceiverClaim = z.output<typeof receiverClaimSchema>;

export function textsOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : [value].flat();
}
