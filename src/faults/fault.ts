// What a fault is: a small named unit, configured by a scenario's data, applied at one
// SMTP step (model: Toxiproxy's toxics). A fault never sees smtp-server or a socket
// directly, only the FaultTarget the SMTP layer hands it, so each one stays a few lines.
import type { z } from 'zod';
import type { Step } from '../smtp/steps.js';

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
