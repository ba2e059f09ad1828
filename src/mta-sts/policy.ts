// An MTA-STS policy (RFC 8461) as a scenario describes it: the `mtaSts` section, the policy
// file its host serves, and the `_mta-sts` TXT record that announces it. `{domain}` in an
// mx pattern stands for the domain served (the MX host's parent: mx.example.test serves
// example.test). The policy host's misbehaviour is one named `answer`, its certificate a
// profile of the certs layer.
import { z } from 'zod';
import { SERVED_PROFILE_NAMES } from '../certs/profiles.js';

export const STS_MODES = ['enforce', 'testing', 'none'] as const;

/**
 * How the policy host answers GET /.well-known/mta-sts.txt:
 * policy: 200 with the policy; not-found: 404; hang: accepts and never answers;
 * redirect: 301 to a copy of the policy elsewhere, which RFC 8461 §3.3 forbids following.
 */
export const POLICY_ANSWERS = ['policy', 'not-found', 'hang', 'redirect'] as const;
export type PolicyAnswer = (typeof POLICY_ANSWERS)[number];

/** RFC 8461 §3.1: id is 1 to 32 letters and digits. */
const policyId = z.string().regex(/^[A-Za-z0-9]{1,32}$/, '1 to 32 letters and digits (RFC 8461 §3.1)');

const policyShape = {
  mode: z.enum(STS_MODES).default('enforce').describe('enforce: deliver only to a matching MX over verified TLS; testing: deliver anyway, report; none'),
  mx: z.array(z.string().regex(/^(\*\.)?[a-z0-9{}.-]+$/, 'a host name or *.domain')).min(1).default(['mx.{domain}']).describe('The MX patterns; {domain} is the domain served'),
  maxAge: z.number().int().min(0).max(31_557_600).default(86_400).describe('max_age, in seconds (at most a year)'),
  id: policyId.default('20260101T000000').describe('The id in the _mta-sts TXT record: a sender fetches the policy again when it changes'),
};

const nextPolicy = z
  .strictObject({
    mode: z.enum(STS_MODES).optional(),
    mx: policyShape.mx.unwrap().optional(),
    maxAge: policyShape.maxAge.unwrap().optional(),
    id: policyId,
  })
  .describe('What the domain publishes once `rotate()` is called: a new id, and what else changes with it');

export const mtaStsSchema = z
  .strictObject({
    ...policyShape,
    host: z
      .strictObject({
        answer: z.enum(POLICY_ANSWERS).default('policy').describe(POLICY_ANSWERS.join(', ')),
        cert: z.enum(SERVED_PROFILE_NAMES).default('mta-sts-host').describe("The policy host's certificate profile"),
      })
      .default({ answer: 'policy', cert: 'mta-sts-host' })
      .describe('The HTTPS host mta-sts.{domain}, and how it misbehaves'),
    next: nextPolicy.optional(),
  })
  .describe('An MTA-STS policy for the domain (RFC 8461), served at https://mta-sts.{domain}/.well-known/mta-sts.txt');

export type MtaStsSettings = z.output<typeof mtaStsSchema>;

/** The policy in force: the first one, or after a rotation, the next. */
export interface PublishedPolicy {
  mode: (typeof STS_MODES)[number];
  mx: string[];
  maxAge: number;
  id: string;
}

export function firstPolicy(settings: MtaStsSettings): PublishedPolicy {
  return { mode: settings.mode, mx: settings.mx, maxAge: settings.maxAge, id: settings.id };
}

export function rotatedPolicy(settings: MtaStsSettings): PublishedPolicy | undefined {
  const next = settings.next;
  return next && { ...firstPolicy(settings), ...Object.fromEntries(Object.entries(next).filter(([, value]) => value !== undefined)) };
}

/** The domain an MX host name serves: its parent (mx.example.test → example.test). */
export function domainOf(mxHostname: string): string {
  const dot = mxHostname.indexOf('.');
  return dot < 0 ? mxHostname : mxHostname.slice(dot + 1);
}

/** The policy file, as RFC 8461 §3.2 writes it: key: value lines ending in CRLF. */
export function policyText(policy: PublishedPolicy, domain: string): string {
  const lines = ['version: STSv1', `mode: ${policy.mode}`, ...policy.mx.map((mx) => `mx: ${mx.replaceAll('{domain}', domain)}`), `max_age: ${policy.maxAge}`];
  return lines.map((line) => `${line}\r\n`).join('');
}

/** The TXT record at _mta-sts.{domain} (RFC 8461 §3.1). */
export function txtRecord(policy: PublishedPolicy): string {
  return `v=STSv1; id=${policy.id}`;
}

export const POLICY_PATH = '/.well-known/mta-sts.txt';
