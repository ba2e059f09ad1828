// What a fault is: a small named unit, configured by a scenario's data, applied at one
// SMTP step (model: Toxiproxy's toxics). A fault never sees smtp-server or a socket
// directly, only the FaultTarget the SMTP layer hands it, so each one stays a few lines.
//
// Two mechanisms act on TLS, and never on the same thing: a fault at the TLS step replaces
// the handshake (whichever engine would have run it: node or scripted), or bends the
// encrypted stream under it (a throttle, a stall, record sizes) and how it ends;
// `tls.script` acts inside a handshake the scripted engine runs.
import { z } from 'zod';
import type { Reply } from '../smtp/reply.js';
import type { Step } from '../smtp/steps.js';
import { whenSettings, type WhenSettings } from './when.js';

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
  /** Ends the connection with a TCP RST (under TLS, if there is TLS). */
  reset(): void;
  /** When the client next sends anything, the server reads none of it, and `action` runs. */
  onNextClientBytes(action: () => void): void;
  /** (TLS) The server sends the encrypted stream at most this many bytes a second. */
  throttleEncrypted(bytesPerSecond: number): void;
  /** (TLS) Once the handshake is done, the encrypted stream stalls for `ms`. */
  stallAfterHandshake(ms: number): void;
  /** (TLS, scripted engine) The most plaintext one of the engine's records carries. */
  limitRecords(bytes: number): void;
  /** Inside TLS: close_notify, and the TCP connection stays open until the client closes it. */
  closeNotify(): void;
  /** Closes TCP, under TLS with no close_notify first (a truncation). */
  closeTcp(): void;
  /** Waits, but no longer than the session lives. */
  sleep(ms: number): Promise<void>;
  /** The server's idle timeout: how long anything may keep a session waiting. */
  readonly idleTimeoutMs: number;
  /** Whether the client sent anything before the greeting. */
  talkedEarly(): boolean;
  /** The server's name, which `{hostname}` in a scenario stands for. */
  readonly hostname: string;
  /** How the step's normal reply goes out on the wire: other bytes, in segments, with pauses. */
  shapeNextReply(shape: ReplyShape): void;
  /** (TLS) The first bytes the client sends: its ClientHello. */
  readClientBytes(): Promise<Buffer>;
  /** (TLS) What a real TLS server would answer to this ClientHello: its first flight. */
  serverFlight(clientHello: Buffer): Promise<Buffer>;
  /**
   * (END-OF-AUTH) Refuses as XOAUTH2 does (RFC 7628): `334` with this error as base64
   * JSON, then `535` once the client has answered it.
   */
  challenge(error: Record<string, string>): void;
  /** The recipients the server accepted in the transaction at hand, or in the last one. */
  recipients(): readonly string[];
  /** (EHLO) From now on this session's EHLO replies omit STARTTLS, and STARTTLS gets `refusal`. */
  hideStartTls(refusal: Reply): void;
}

/**
 * A reply as it goes on the wire, where a fault wants it otherwise than SMTP's grammar has
 * it. The server's SMTP state moves on as if the normal reply had gone out.
 */
export interface ReplyShape {
  /** The bytes written, made from the normal reply; its own CRLF lines when not given. */
  bytes?(normal: Reply): Buffer;
  /** Written in pieces of this many bytes, each its own TCP segment; at once when not given. */
  segmentBytes?: number;
  /** The pause before each piece after the first, in milliseconds. */
  pauseMs?: number;
  /** Runs once the reply is written, all of it. */
  afterwards?(): void;
}

export interface FaultOutcome {
  /** True when the fault took the step's place: the normal behaviour must not follow. */
  handled: boolean;
  /** What the fault did, for the session's events. */
  detail: string;
  /** (TLS) The alert the fault sent in place of a handshake. */
  serverAlert?: number;
  /** (not handled) The command line smtp-server runs in place of the client's. */
  instead?: string;
}

export interface FaultSpec<Name extends string, Steps extends readonly [Step, ...Step[]], Shape extends z.ZodRawShape> {
  name: Name;
  summary: string;
  /** The steps this fault makes sense at. */
  steps: Steps;
  /** The fault's own settings, as keys next to `fault` and `on` in the scenario file. */
  settings: Shape;
  /** It acts on the encrypted stream after the handshake: TLS goes through the link (tls/link.ts). */
  encryptedStream?: boolean;
  /** The TLS engines it works on, when not both. */
  engines?: readonly ('node' | 'scripted')[];
  apply(target: FaultTarget, settings: z.output<z.ZodObject<Shape>>): FaultOutcome | Promise<FaultOutcome>;
}

/** One fault entry of a scenario, ready to act: its settings are parsed once, at start. */
export interface ConfiguredFault {
  /** As the scenario names it. */
  readonly name: string;
  readonly steps: readonly Step[];
  readonly when: WhenSettings;
  readonly encryptedStream: boolean;
  apply(target: FaultTarget): Promise<FaultOutcome>;
}

export type FaultDefinition<Name extends string, Steps extends readonly [Step, ...Step[]], Shape extends z.ZodRawShape> = FaultSpec<Name, Steps, Shape> & {
  /** The schema of a scenario entry for this fault: `fault`, `on`, the `when` rules and its own settings. */
  readonly entry: ReturnType<typeof entrySchema<Name, Steps, Shape>>;
  /** The fault with the settings of one scenario entry, which it parses itself. */
  configure(entry: unknown): ConfiguredFault;
};

function entrySchema<Name extends string, Steps extends readonly [Step, ...Step[]], Shape extends z.ZodRawShape>(spec: FaultSpec<Name, Steps, Shape>) {
  const step = z.enum(spec.steps);
  return z
    .strictObject({
      fault: z.literal(spec.name).describe(spec.summary),
      on: z.union([step, z.array(step).min(1)]).describe('The step (or steps) the fault acts at'),
      ...whenSettings,
      ...spec.settings,
    })
    .describe(spec.summary);
}

export function defineFault<const Name extends string, const Steps extends readonly [Step, ...Step[]], Shape extends z.ZodRawShape>(
  spec: FaultSpec<Name, Steps, Shape>,
): FaultDefinition<Name, Steps, Shape> {
  const entry = entrySchema(spec);
  const own = z.object(spec.settings);
  const common = z.object({ on: z.union([z.enum(spec.steps), z.array(z.enum(spec.steps))]), ...whenSettings });
  return {
    ...spec,
    entry,
    configure(raw) {
      const settings = own.parse(raw);
      const { on, ...when } = common.parse(raw);
      return { name: spec.name, steps: [on].flat(), when, encryptedStream: Boolean(spec.encryptedStream), apply: async (target) => spec.apply(target, settings) };
    },
  };
}

/** The same fault under a name files already use, at fewer steps. */
export function aliasOf<Name extends string, const Steps extends readonly [Step, ...Step[]], Shape extends z.ZodRawShape>(
  fault: FaultSpec<string, readonly [Step, ...Step[]], Shape>,
  alias: { name: Name; steps: Steps; summary: string },
): FaultDefinition<Name, Steps, Shape> {
  return defineFault({ ...fault, ...alias });
}
