// What a fault is: a small named unit, configured by a scenario's data, applied at one
// SMTP step (model: Toxiproxy's toxics). A fault never sees smtp-server or a socket
// directly, only the FaultTarget the SMTP layer hands it, so each one stays a few lines.
import { z } from 'zod';

/** The points of a session where a fault can act, in scenario-file spelling. */
export const STEPS = [
  'CONNECT', // before the greeting
  'EHLO',
  'HELO',
  'AUTH',
  'STARTTLS', // the reply to the STARTTLS command
  'TLS', // what follows `220 Ready to start TLS` instead of (or before) a handshake
  'MAIL',
  'RCPT',
  'DATA',
  'END-OF-DATA', // the reply to the final `.`
  'RSET',
  'NOOP',
  'VRFY',
  'QUIT',
] as const;
export type Step = (typeof STEPS)[number];

export interface FaultTarget {
  readonly step: Step;
  /** The command's argument (an address for MAIL/RCPT), empty where there is none. */
  readonly argument: string;
  /** Sends an SMTP reply exactly as given: one line or several. */
  reply(code: number, lines: string[]): void;
  /** Writes bytes as they are, outside the SMTP framing. */
  writeRaw(bytes: Buffer): void;
  /** Ends the connection with a FIN. */
  close(): void;
  /** Ends the connection with a TCP RST. */
  reset(): void;
  /** Waits, but no longer than the session lives. */
  sleep(ms: number): Promise<void>;
  /** The server's idle timeout: how long anything may keep a session waiting. */
  readonly idleTimeoutMs: number;
  /** Whether the client sent anything before the greeting. */
  talkedEarly(): boolean;
  /** The step's normal reply goes out one byte at a time. */
  dripNextReply(msPerByte: number): void;
  /** (TLS) The first bytes the client sends: its ClientHello. */
  readClientBytes(): Promise<Buffer>;
  /** (TLS) What a real TLS server would answer to this ClientHello: its first flight. */
  serverFlight(clientHello: Buffer): Promise<Buffer>;
  /** (STARTTLS) Extra lines, written together with the ready reply in one write. */
  injectAfterReady(lines: string[]): void;
  /** (EHLO) From now on this session's EHLO replies omit STARTTLS, and STARTTLS gets `refusal`. */
  hideStartTls(refusal: { code: number; lines: string[] }): void;
}

export interface FaultOutcome {
  /** True when the fault took the step's place: the normal behaviour must not follow. */
  handled: boolean;
  /** What the fault did, for the session's events. */
  detail: string;
  /** (TLS) The alert the fault sent in place of a handshake. */
  serverAlert?: number;
}

export interface FaultDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  summary: string;
  /** The steps this fault makes sense at. */
  steps: readonly Step[];
  /** The fault's own settings, as keys next to `fault` and `on` in the scenario file. */
  settings: Shape;
  apply(target: FaultTarget, settings: z.infer<z.ZodObject<Shape>>): FaultOutcome | Promise<FaultOutcome>;
}

export function defineFault<Shape extends z.ZodRawShape>(definition: FaultDefinition<Shape>): FaultDefinition<Shape> {
  return definition;
}

/** `"450 4.2.0 Greylisted"` or several lines sharing one code; checked wherever it is used. */
export const replySetting = z
  .union([z.string(), z.array(z.string()).min(1)])
  .superRefine((value, ctx) => {
    const problem = replyProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('An SMTP reply: "CODE text", or a list of lines that all start with the same code');

export function parseReply(reply: string | string[]): { code: number; lines: string[] } {
  const raw = Array.isArray(reply) ? reply : [reply];
  const code = Number(raw[0]!.slice(0, 3));
  return { code, lines: raw.map((line) => line.slice(4)) };
}

/** A reply is written `CODE text`, with a code from 200 to 599. */
export function replyProblem(reply: string | string[]): string | undefined {
  const raw = Array.isArray(reply) ? reply : [reply];
  const code = raw[0]!.slice(0, 3);
  for (const line of raw) {
    if (!/^[2-5]\d\d( |$)/.test(line)) return `"${line}" is not an SMTP reply (a code from 200 to 599, a space, text)`;
    if (line.slice(0, 3) !== code) return `every line of a reply has the same code (${code})`;
    if (/[\r\n]/.test(line)) return 'a reply line holds no line break: give several lines as a list';
  }
  return undefined;
}
