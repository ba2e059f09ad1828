// What one session of the sender means to send when nothing goes wrong: the envelope, the
// message and the commands, as data. The machine (machine.ts) sends them; faults reshape them.
import type { FaultState } from '../faults/when.js';
import type { SenderFaultEntry } from '../scenario/sender-schema.js';

export interface SessionPlan {
  /** 1-based number of the session within the run. */
  session: number;
  scenario: string;
  helo: string;
  from: string;
  recipients: string[];
  /** The message's lines without line ends: header, blank line, body. */
  messageLines: string[];
  /** Ask for STARTTLS when the receiver offers it. */
  starttls: boolean;
  /** The scenario's faults, and the counters of their `when` rules for the whole run. */
  faults: readonly SenderFaultEntry[];
  faultState: FaultState;
  /** The receiver's address, for the `when` rules' context. */
  receiverAddress: string;
}

export interface MessageOptions {
  scenario: string;
  session: number;
  helo: string;
  from: string;
  recipients: readonly string[];
  /** The Date header; given, so that the plan is the same on every call. */
  date: Date;
}

/** A small, valid RFC 5322 message: every fault is in what follows, not in the message. */
export function messageLines({ scenario, session, helo, from, recipients, date }: MessageOptions): string[] {
  const id = `${date.getTime().toString(36)}.${session}.${scenario}@${helo}`;
  return [
    `From: <${from}>`,
    `To: ${recipients.map((to) => `<${to}>`).join(', ')}`,
    `Subject: broken-mta send ${scenario} (session ${session})`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: <${id}>`,
    '',
    `Sent by broken-mta send, scenario ${scenario}, session ${session}.`,
    '.A line that starts with a dot, to check dot-stuffing.',
  ];
}

/** The message and its final dot, as it goes after 354: CRLF lines, dot-stuffed (RFC 5321 §4.5.2). */
export function messageBytes(lines: readonly string[]): Buffer {
  const stuffed = lines.map((line) => (line.startsWith('.') ? `.${line}` : line));
  return Buffer.from(`${stuffed.join('\r\n')}\r\n.\r\n`, 'latin1');
}

/** The command line of a step, CRLF included. */
export function commandLine(step: 'EHLO' | 'HELO' | 'STARTTLS' | 'MAIL' | 'RCPT' | 'DATA' | 'QUIT', plan: SessionPlan, recipient?: string): string {
  switch (step) {
    case 'EHLO':
    case 'HELO':
      return `${step} ${plan.helo}\r\n`;
    case 'MAIL':
      return `MAIL FROM:<${plan.from}>\r\n`;
    case 'RCPT':
      return `RCPT TO:<${recipient}>\r\n`;
    default:
      return `${step}\r\n`;
  }
}
