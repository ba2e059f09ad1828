// A symptom on a scenario's page is a claim a program checks: which client, how it is run
// when that differs from the catalogue's default (`with`), and what comes of it: exact text
// it prints (or its MTA logs), the exit status, whether the message arrives, how TLS ends,
// the alert, and what broken-mta itself logs in the same run. Commentary goes in `note`.
// `broken-mta matrix --expect FILE` takes the same expectations for a user's own client.
import { z } from 'zod';
import { ALERT_NAMES } from '../tls/alerts.js';
import { CLIENT_NAMES, clientKind } from './clients.js';
import { SETTING_NAMES, settingsSchema } from './settings.js';

const texts = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const alertReference = z
  .union([z.number().int().min(0).max(255), z.enum(Object.values(ALERT_NAMES) as [string, ...string[]])])
  .describe('By number (40) or by name (handshake_failure)');

export const TLS_OUTCOMES = ['established', 'failed', 'none'] as const;

const expectationShape = {
  prints: texts.optional().describe('Exact text the client prints: each must be a substring of its output'),
  logs: texts.optional().describe('Exact text of a line the client MTA logs (sendmail: syslog): each must be a substring of one line'),
  server: texts.optional().describe("Exact text of a line broken-mta logs in the same run (its text log, as `--scenario` prints it)"),
  exit: z.union([z.enum(['zero', 'nonzero']), z.number().int().min(0).max(255)]).optional().describe("The client's exit status"),
  delivered: z.boolean().optional().describe('Whether broken-mta receives the message'),
  tls: z.enum(TLS_OUTCOMES).optional().describe('How TLS ends, as broken-mta saw it: established, failed, or none (never begun)'),
  alert: alertReference.optional().describe('The alert the client sends, as broken-mta records it'),
  serverAlert: alertReference.optional().describe('The alert broken-mta sends'),
  note: z.string().min(1).optional().describe('Commentary for the reader (why, what else to know); not checked'),
  text: z
    .never({ error: '`text` is now `prints` (exact output), `logs`, `server` or `note` (commentary); `npm run convert-symptoms -- FILE` converts an old page' })
    .optional(),
};

const CHECKED = ['prints', 'logs', 'server', 'exit', 'delivered', 'tls', 'alert', 'serverAlert'] as const;

/** What a user expects of their own client in one scenario (`matrix --expect FILE`). */
export const expectationSchema = z
  .strictObject(expectationShape)
  .superRefine((expectation, ctx) => {
    if (!CHECKED.some((key) => expectation[key] !== undefined)) ctx.addIssue({ code: 'custom', message: `says nothing to check: give one of ${CHECKED.join(', ')}` });
    if (expectation.logs !== undefined) ctx.addIssue({ code: 'custom', path: ['logs'], message: "a command's own log is not read: use prints" });
  })
  .describe('What a client run against this scenario shows');

export const claimSchema = z
  .strictObject({
    client: z.enum(CLIENT_NAMES).describe('The program run against the scenario'),
    with: settingsSchema.optional(),
    attempt: z.number().int().min(1).max(5).optional().describe('The claim is about this run of the same command against the same server (2: the retry)'),
    ...expectationShape,
  })
  .superRefine((claim, ctx) => {
    if (!CHECKED.some((key) => claim[key] !== undefined)) ctx.addIssue({ code: 'custom', message: `says nothing to check: give one of ${CHECKED.join(', ')}` });
    const kind = clientKind(claim.client)!;
    for (const setting of Object.keys(claim.with ?? {})) {
      if (!(kind.settings as readonly string[]).includes(setting)) {
        const others = SETTING_NAMES.includes(setting as never) ? ` (it takes ${kind.settings.join(', ')})` : '';
        ctx.addIssue({ code: 'custom', path: ['with', setting], message: `${claim.client} cannot be run with ${setting}${others}` });
      }
    }
    if (claim.with?.tls && !kind.tlsModes.includes(claim.with.tls)) {
      ctx.addIssue({ code: 'custom', path: ['with', 'tls'], message: `${claim.client} cannot be run with tls: ${claim.with.tls} (it takes ${kind.tlsModes.join(', ')})` });
    }
    if (claim.logs !== undefined && !kind.hasLog) ctx.addIssue({ code: 'custom', path: ['logs'], message: `${claim.client} writes no log of its own: use prints` });
  })
  .describe('A symptom: a client, how it is run, and what a test checks of it');

export type Claim = z.output<typeof claimSchema>;
export type Expectation = z.output<typeof expectationSchema>;
export type AlertReference = z.output<typeof alertReference>;

