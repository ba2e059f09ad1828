// What a fault is: a small named unit, configured by a scenario's data, applied at one
// SMTP step (model: Toxiproxy's toxics). A fault never sees smtp-server or a socket
// directly, only the FaultTarget the SMTP layer hands it, so each one stays a few lines.
//
// Two mechanisms act on TLS, and never on the same thing: a fault at the TLS step replaces
// the handshake (whichever engine would have run it: node or scripted); `tls.script` acts
// inside a handshake the scripted engine runs.
import { z } from 'zod';
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
  /**
   * (END-OF-AUTH) Refuses as XOAUTH2 does (RFC 7628): `334` with this error as base64
   * JSON, then `535` once the client has answered it.
   */
  challenge(error: Record<string, string>): void;
  /** The recipients the server accepted in the transaction at hand, or in the last one. */
  recipients(): readonly string[];
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
  apply(target: FaultTarget, settings: z.output<z.ZodObject<Shape>>): FaultOutcome | Promise<FaultOutcome>;
}

/** One fault entry of a scenario, ready to act: its settings are parsed once, at start. */
export interface ConfiguredFault {
  /** As the scenario names it. */
  readonly name: string;
  readonly steps: readonly Step[];
  readonly when: WhenSettings;
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
      return { name: spec.name, steps: [on].flat(), when, apply: async (target) => spec.apply(target, settings) };
    },
  };
}

/** The same fault under a name files already use, at fewer steps. */
export function aliasOf<Name extends string, const Steps extends readonly [Step, ...Step[]], Shape extends z.ZodRawShape>(
  fault: FaultSpec<string, readonly [Step, ...Step[]], Shape>,
  alias: { name: Name; steps: Steps; summary: string },
): FaultDefinition<Name, Steps, Shape> {
  return defineFault({ ...alias, settings: fault.settings, apply: fault.apply });
}
