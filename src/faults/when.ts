// When a fault applies: the settings every fault shares, and the one pure function that
// decides. Counting state belongs to one server (a new server starts from zero), so a
// scenario behaves the same in every test run: greylisting is "the first RCPT of each
// client/sender/recipient triple", not a random 1 in N.
import { z } from 'zod';

export const whenSettings = {
  match: z
    .string()
    .optional()
    .describe("A regular expression the step's argument must match (for MAIL and RCPT: the address)"),
  session: z.number().int().min(1).optional().describe('Only in this session (1 is the first of the server)'),
  client: z.string().optional().describe("Only for this client address"),
  secure: z.boolean().optional().describe('Only when the session is (true) or is not (false) under TLS'),
  authenticated: z.boolean().optional().describe('Only when the client has (true) or has not (false) authenticated with AUTH'),
  pipelined: z
    .boolean()
    .optional()
    .describe('Only when the client sent more behind the command without waiting for its reply (true: RFC 2920 pipelining), or only when it did not (false)'),
  parameters: z
    .string()
    .optional()
    .describe('(MAIL, RCPT) A regular expression the ESMTP parameters after the address must match (SMTPUTF8, BODY=8BITMIME, SIZE=...)'),
  content: z
    .string()
    .optional()
    .describe('(END-OF-DATA) A regular expression the message must match, header and body, its bytes read as Latin-1 ([\\x80-\\xff]: an 8-bit byte)'),
  times: z.number().int().min(1).optional().describe('Apply the first N times, then behave normally'),
  after: z.number().int().min(0).optional().describe('Behave normally the first N times, then apply'),
  per: z
    .enum(['server', 'session', 'client', 'triple'])
    .default('server')
    .describe('What times/after count per: the whole server, each session, each client address, or each client+sender+recipient triple'),
  probability: z.number().min(0).max(1).optional().describe('Apply with this probability, from a generator seeded by `seed`'),
  seed: z.number().int().default(1).describe('Seed for probability: the same seed, the same sequence'),
};

export interface WhenSettings {
  match?: string | undefined;
  session?: number | undefined;
  client?: string | undefined;
  secure?: boolean | undefined;
  authenticated?: boolean | undefined;
  pipelined?: boolean | undefined;
  parameters?: string | undefined;
  content?: string | undefined;
  times?: number | undefined;
  after?: number | undefined;
  per: 'server' | 'session' | 'client' | 'triple';
  probability?: number | undefined;
  seed: number;
}

/** What is known about the step when a fault is considered. */
export interface StepContext {
  argument: string;
  session: number;
  clientAddress: string;
  secure: boolean;
  sender: string;
  recipient: string;
  authenticated?: boolean;
  /** More input had arrived behind the command when it was read. */
  pipelined?: boolean;
  /** (MAIL, RCPT) What follows the address. */
  parameters?: string;
  /** (END-OF-DATA) The message, read only when a rule asks. */
  content?: () => string;
}

/** Counters and generators of one server, one slot per fault entry. */
export class FaultState {
  private readonly counts = new Map<string, number>();
  private readonly generators = new Map<number, () => number>();

  /** Counts one more match for this key and returns the count so far, this one included. */
  count(entry: number, key: string): number {
    const slot = `${entry}\u0000${key}`;
    const next = (this.counts.get(slot) ?? 0) + 1;
    this.counts.set(slot, next);
    return next;
  }

  random(entry: number, seed: number): number {
    let generator = this.generators.get(entry);
    if (!generator) {
      generator = mulberry32(seed);
      this.generators.set(entry, generator);
    }
    return generator();
  }
}

/** What follows the address of `FROM:<a@b> SMTPUTF8`: its ESMTP parameters. */
export function parametersOf(argument: string): string {
  const closing = argument.indexOf('>');
  const rest = closing >= 0 ? argument.slice(closing + 1) : argument.replace(/^(FROM|TO):\s*/i, '').replace(/^\S*/, '');
  return rest.trim();
}

/** The address inside `FROM:<a@b>` / `TO:<a@b>`, or the argument as it is. */
export function addressOf(argument: string): string {
  const bracketed = /<([^>]*)>/.exec(argument);
  return bracketed ? bracketed[1]! : argument.replace(/^(FROM|TO):\s*/i, '').split(/\s/)[0]!;
}

export function applies(when: WhenSettings, entry: number, context: StepContext, state: FaultState): boolean {
  if (when.session !== undefined && when.session !== context.session) return false;
  if (when.client !== undefined && when.client !== context.clientAddress) return false;
  if (when.secure !== undefined && when.secure !== context.secure) return false;
  if (when.match !== undefined && !new RegExp(when.match, 'i').test(context.argument)) return false;
  if (when.authenticated !== undefined && when.authenticated !== Boolean(context.authenticated)) return false;
  if (when.pipelined !== undefined && when.pipelined !== Boolean(context.pipelined)) return false;
  if (when.parameters !== undefined && !new RegExp(when.parameters, 'i').test(context.parameters ?? '')) return false;
  if (when.content !== undefined && !new RegExp(when.content, 'i').test(context.content?.() ?? '')) return false;
  if (when.times !== undefined || when.after !== undefined) {
    const n = state.count(entry, counterKey(when.per, context));
    if (when.after !== undefined && n <= when.after) return false;
    if (when.times !== undefined && n > (when.after ?? 0) + when.times) return false;
  }
  if (when.probability !== undefined && state.random(entry, when.seed) >= when.probability) return false;
  return true;
}

function counterKey(per: WhenSettings['per'], context: StepContext): string {
  switch (per) {
    case 'server':
      return '';
    case 'session':
      return String(context.session);
    case 'client':
      return context.clientAddress;
    case 'triple':
      return [context.clientAddress, context.sender.toLowerCase(), context.recipient.toLowerCase()].join('\u0000');
  }
}

// A small seeded generator: the same seed gives the same sequence on every machine.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    let t = (state = (state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
