// What a sender fault is: the mirror of src/faults/fault.ts for the client side. A small
// named unit, configured by a scenario's data, acting at one step of the session the sender
// drives. It never sees a socket: it reshapes what the step sends through the target the
// session machine hands it (machine.ts), so each one stays a few lines.
import type { z } from 'zod';
import type { Step } from '../../smtp/steps.js';

/** The steps of a session as the sender drives it, in the server catalogue's spelling. */
export const SENDER_STEPS = ['CONNECT', 'EHLO', 'HELO', 'STARTTLS', 'TLS', 'MAIL', 'RCPT', 'DATA', 'END-OF-DATA', 'QUIT'] as const satisfies readonly Step[];
export type SenderStep = (typeof SENDER_STEPS)[number];

/** The commands a client sends, with their line; CONNECT and TLS send none of their own. */
export type CommandStep = Exclude<SenderStep, 'CONNECT' | 'TLS'>;

export interface SenderFaultTarget {
  readonly step: SenderStep;
  /**
   * What the step sends when nothing is wrong: the command line; for END-OF-DATA the
   * message and its final `.`; nothing at CONNECT and TLS. A fault may replace it.
   */
  bytes: Buffer;
  /** The message as planned: its lines without line ends, before dot-stuffing. */
  readonly messageLines: readonly string[];
  /** The envelope as planned. */
  readonly sender: string;
  readonly recipients: readonly string[];
  /** Send the planned commands that follow, up to `until`, in the same write, without waiting for replies. */
  sendAhead(until: CommandStep): void;
  /** The step's bytes go out one every `msPerByte` ms. */
  drip(msPerByte: number): void;
  /** After the step's bytes, the connection ends with a FIN; nothing more is sent. */
  closeAfter(): void;
  /**
   * The bytes hide these commands (smuggling): a receiver that reads them as commands
   * answers each, one that does not answers none. Replies are matched either way.
   */
  hide(steps: readonly CommandStep[], sender: string): void;
  /** More recipients for the message (RCPT only). */
  addRecipients(addresses: readonly string[]): void;
}

export interface SenderFaultOutcome {
  /** What the fault did, for the session's events. */
  detail: string;
}

export interface SenderFaultDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  summary: string;
  steps: readonly SenderStep[];
  settings: Shape;
  /** Undefined when there was nothing left to do (the event is left out). */
  apply(target: SenderFaultTarget, settings: z.infer<z.ZodObject<Shape>>): SenderFaultOutcome | undefined;
}

export function defineSenderFault<Shape extends z.ZodRawShape>(definition: SenderFaultDefinition<Shape>): SenderFaultDefinition<Shape> {
  return definition;
}

/** Every CRLF of some bytes as a bare LF. */
export function bareLf(bytes: Buffer): Buffer {
  return Buffer.from(bytes.toString('latin1').replaceAll('\r\n', '\n'), 'latin1');
}
