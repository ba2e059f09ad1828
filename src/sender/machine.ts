// The sender's side of one SMTP session, sans-IO: the receiver's bytes and the TLS
// outcome in; events and actions (write these bytes, start TLS, close) out. No sockets,
// no timers: session.ts does the IO, tests drive this directly.
//
// The rules, all of them here:
// - Every command sent waits for one reply, in order (RFC 2920 §3.1), so a command sent
//   ahead of its turn (pipelining, talking first) is answered in its place.
// - A reply is "ok" when its first digit is the one RULES expects for the step (3 for
//   DATA, 2 for the rest). RULES then names what comes next: a step, `close`, or a choice
//   (`STARTTLS?`: STARTTLS when wanted and offered, else MAIL; `RCPT?`: the next recipient,
//   else DATA when one was accepted, else QUIT). A step already in flight is not sent again.
// - 421 at any point: the receiver is leaving; the sender closes.
// - Once QUIT is sent, replies are recorded and nothing more is sent.
// - Commands hidden inside a message (smuggling) may be answered or not: a 221 while they
//   wait means the receiver read them as text, and they are dropped.
// - Faults act at a step before it is sent, through the target of faults/fault.ts.
import type { SessionEventInput } from '../events.js';
import { addressOf, applies, type StepContext } from '../faults/when.js';
import { findSenderFault } from './faults/registry.js';
import type { CommandStep, SenderFaultTarget, SenderStep } from './faults/fault.js';
import { commandLine, messageBytes, type SessionPlan } from './plan.js';
import { ReplyReader, replyText, type Reply } from '../smtp/reply-reader.js';

type Choice = 'STARTTLS?' | 'RCPT?';
type Next = SenderStep | Choice | 'close';

/** After the reply to each step: what the sender does next. */
const RULES: Readonly<Record<SenderStep, { okClass: 2 | 3; ok: Next; else: Next }>> = {
  CONNECT: { okClass: 2, ok: 'EHLO', else: 'QUIT' }, // the greeting
  EHLO: { okClass: 2, ok: 'STARTTLS?', else: 'HELO' },
  HELO: { okClass: 2, ok: 'MAIL', else: 'QUIT' },
  STARTTLS: { okClass: 2, ok: 'TLS', else: 'MAIL' }, // refused: go on in plaintext
  TLS: { okClass: 2, ok: 'EHLO', else: 'close' }, // the handshake's outcome, not a reply
  MAIL: { okClass: 2, ok: 'RCPT?', else: 'QUIT' },
  RCPT: { okClass: 2, ok: 'RCPT?', else: 'RCPT?' },
  DATA: { okClass: 3, ok: 'END-OF-DATA', else: 'QUIT' },
  'END-OF-DATA': { okClass: 2, ok: 'QUIT', else: 'QUIT' },
  QUIT: { okClass: 2, ok: 'close', else: 'close' },
};

export type SenderAction = { type: 'write'; bytes: Buffer; msPerByte?: number } | { type: 'start-tls' } | { type: 'close' };

export interface MachineOutput {
  events: SessionEventInput[];
  actions: SenderAction[];
}

/** What one session came to, for the run's outcome (outcome.ts). */
export interface SessionSummary {
  tls: 'none' | 'refused' | 'established' | 'failed';
  /** Messages the receiver accepted: 250 after a final dot, hidden ones included. */
  accepted: Array<{ from: string; secure: boolean; hidden: boolean }>;
  /** The receiver answered commands hidden inside a message. */
  split: boolean;
  recipientsAccepted: number;
  recipientsRefused: number;
  closedBy?: 'client' | 'server';
  /** Why the session ended before its QUIT was answered, when it did. */
  cutShort?: string;
}

interface InFlight {
  step: SenderStep;
  /** For RCPT: which recipient. */
  argument: string;
  /** Hidden inside a message: may never be answered. */
  hidden?: { sender: string };
}

const oneLine = (reply: Reply): string => replyText(reply).replaceAll('\r\n', ' | ');

export class SenderMachine {
  private replies = new ReplyReader();
  private readonly inFlight: InFlight[] = [];
  private readonly sentSteps = new Set<SenderStep>();
  private recipientsSent = 0;
  private secure = false;
  private starttlsOffered = false;
  private quitting = false;
  private repliesSeen = 0;
  private readonly acceptedRecipients: string[] = [];
  private phase: 'dialogue' | 'tls' | 'abandoned' | 'closed' = 'dialogue';
  private events: SessionEventInput[] = [];
  private actions: SenderAction[] = [];
  readonly summary: SessionSummary = { tls: 'none', accepted: [], split: false, recipientsAccepted: 0, recipientsRefused: 0 };

  constructor(private readonly plan: SessionPlan) {}

  /** Connected: the sender waits for the greeting (or, with a fault, talks first). */
  start(): MachineOutput {
    return this.run(() => this.send('CONNECT'));
  }

  /** Bytes from the receiver, outside TLS. */
  receive(bytes: Buffer): MachineOutput {
    return this.run(() => {
      if (this.phase === 'abandoned') {
        this.events.push({ type: 'warning', text: `the receiver sent ${bytes.length} bytes after the sender gave up on TLS: ${JSON.stringify(bytes.toString('latin1').slice(0, 80))}` });
        return;
      }
      if (this.phase !== 'dialogue') return;
      for (const reply of this.replies.push(bytes)) {
        this.onReply(reply);
        if (this.phase !== 'dialogue') return;
      }
    });
  }

  /** The handshake after STARTTLS ended. */
  tlsDone(established: boolean): MachineOutput {
    return this.run(() => {
      if (this.phase !== 'tls') return;
      this.summary.tls = established ? 'established' : 'failed';
      if (!established) return this.finish('close');
      this.phase = 'dialogue';
      this.secure = true;
      this.replies = new ReplyReader();
      this.sentSteps.clear();
      this.follow(RULES.TLS.ok);
    });
  }

  /** The connection is gone; `by` is who ended it. */
  closed(by: 'client' | 'server'): MachineOutput {
    return this.run(() => {
      if (this.phase === 'closed') return;
      this.summary.closedBy ??= by;
      const waiting = this.inFlight.filter((entry) => !entry.hidden && entry.step !== 'QUIT');
      if (waiting.length) this.summary.cutShort ??= `the connection ended while ${waiting[0]!.step} had no reply`;
      else if (this.phase === 'tls') this.summary.cutShort ??= 'the connection ended during the TLS handshake';
      if (this.phase === 'tls') this.summary.tls = 'failed';
      const rest = this.replies.takeRest();
      if (rest) this.summary.cutShort ??= `the connection ended inside a reply: ${rest.replaceAll('\r\n', ' | ')}`;
      this.phase = 'closed';
      this.inFlight.length = 0;
    });
  }

  /** Whether a whole reply has come yet (the greeting, normally). */
  get answered(): boolean {
    return this.repliesSeen > 0;
  }

  private run(body: () => void): MachineOutput {
    body();
    const output = { events: this.events, actions: this.actions };
    this.events = [];
    this.actions = [];
    return output;
  }

  private finish(how: 'close'): void {
    if (this.phase === 'closed') return;
    this.actions.push({ type: how });
    this.summary.closedBy ??= 'client';
    this.phase = 'closed';
  }

  // --- replies -------------------------------------------------------------------------

  private onReply(reply: Reply): void {
    this.repliesSeen++;
    this.events.push({ type: 'reply', code: reply.code, text: reply.lines.join('\n') });
    while (this.inFlight[0]?.hidden && reply.code === 221) this.inFlight.shift();
    const entry = this.inFlight.shift();
    if (!entry) {
      this.events.push({ type: 'warning', text: `a reply nothing asked for: ${oneLine(reply)}` });
      return;
    }
    if (reply.code === 421) {
      this.summary.cutShort ??= `the receiver closes: ${oneLine(reply)}`;
      return this.finish('close');
    }
    const rule = RULES[entry.step];
    const ok = Math.floor(reply.code / 100) === rule.okClass;
    if (entry.hidden) return this.onHiddenReply(entry, ok, reply);
    this.note(entry, ok, reply);
    if (this.quitting && entry.step !== 'QUIT') return;
    this.follow(ok ? rule.ok : rule.else);
  }

  /** What a reply tells about the session, beyond what comes next. */
  private note(entry: InFlight, ok: boolean, reply: Reply): void {
    if (entry.step === 'EHLO' && ok) this.starttlsOffered = reply.lines.slice(1).some((line) => /^STARTTLS\b/i.test(line));
    if (entry.step === 'STARTTLS' && !ok) this.summary.tls = 'refused';
    if (entry.step === 'RCPT') {
      if (ok) this.acceptedRecipients.push(entry.argument);
      else this.summary.recipientsRefused++;
      this.summary.recipientsAccepted = this.acceptedRecipients.length;
    }
    if (entry.step === 'END-OF-DATA' && ok) this.accepted(this.plan.from, false);
  }

  private onHiddenReply(entry: InFlight, ok: boolean, reply: Reply): void {
    this.summary.split = true;
    if (entry.step !== 'END-OF-DATA' || !ok) return;
    this.events.push({ type: 'warning', text: `the receiver split the message: it accepted a second one, from <${entry.hidden!.sender}>, hidden inside the first (${oneLine(reply)})` });
    this.accepted(entry.hidden!.sender, true);
  }

  private accepted(from: string, hidden: boolean): void {
    this.summary.accepted.push({ from, secure: this.secure, hidden });
    const to = hidden ? this.plan.recipients.slice(0, 1) : [...this.acceptedRecipients];
    this.events.push({ type: 'message', from, to, size: messageBytes(this.plan.messageLines).length - 3, secure: this.secure });
  }

  private follow(next: Next): void {
    if (next === 'close') return this.finish('close');
    if (next === 'STARTTLS?') next = this.plan.starttls && !this.secure && this.starttlsOffered ? 'STARTTLS' : 'MAIL';
    if (next === 'RCPT?') {
      if (this.inFlight.some((entry) => entry.step === 'RCPT' && !entry.hidden)) return;
      if (this.recipientsSent < this.plan.recipients.length) next = 'RCPT';
      else next = this.summary.recipientsAccepted > 0 ? 'DATA' : 'QUIT';
    }
    if (next === 'TLS') return this.beginTls();
    if (next !== 'RCPT' && this.sentSteps.has(next)) return;
    this.send(next);
  }

  // --- sending -------------------------------------------------------------------------

  private normalBytes(step: SenderStep, recipient: string): Buffer {
    if (step === 'CONNECT' || step === 'TLS') return Buffer.alloc(0);
    if (step === 'END-OF-DATA') return messageBytes(this.plan.messageLines);
    return Buffer.from(commandLine(step, this.plan, recipient), 'latin1');
  }

  /** Sends a step (with what faults make of it) and whatever a fault sends ahead of it. */
  private send(step: SenderStep): void {
    const first = this.draft(step);
    const writes = [first.bytes];
    let last = first;
    for (let ahead = this.nextAhead(step, first.until); ahead && !last.closeAfter; ahead = this.nextAhead(ahead, first.until)) {
      last = this.draft(ahead);
      writes.push(last.bytes);
    }
    const bytes = Buffer.concat(writes);
    if (bytes.length) this.actions.push({ type: 'write', bytes, ...(first.msPerByte ? { msPerByte: first.msPerByte } : {}) });
    if (last.closeAfter) {
      if (step === 'END-OF-DATA') this.summary.cutShort ??= 'the sender closed inside the message, as the scenario says';
      this.finish('close');
    }
  }

  /**
   * The planned command after `step` when a fault sends ahead up to `until`; undefined past
   * it. Ahead of their turn go only what RFC 2920 lets a pipelining client batch (EHLO after
   * the connection; MAIL, every RCPT, DATA), never across STARTTLS or the message.
   */
  private nextAhead(step: SenderStep, until: CommandStep | undefined): CommandStep | undefined {
    if (!until || step === until) return undefined;
    if (step === 'CONNECT') return 'EHLO';
    if (step !== 'MAIL' && step !== 'RCPT') return undefined;
    if (this.recipientsSent < this.plan.recipients.length) return 'RCPT';
    return until === 'DATA' ? 'DATA' : undefined;
  }

  /** One step's bytes after its faults; the step is now in flight (TLS: under way). */
  private draft(step: SenderStep): { bytes: Buffer; until?: CommandStep; msPerByte?: number; closeAfter: boolean } {
    const recipient = step === 'RCPT' ? (this.plan.recipients[this.recipientsSent] ?? '') : (this.plan.recipients[0] ?? '');
    const result: { bytes: Buffer; until?: CommandStep; msPerByte?: number; closeAfter: boolean } = { bytes: this.normalBytes(step, recipient), closeAfter: false };
    const hidden: InFlight[] = [];
    const plan = this.plan;
    const target: SenderFaultTarget = {
      step,
      get bytes() {
        return result.bytes;
      },
      set bytes(value: Buffer) {
        result.bytes = value;
      },
      messageLines: plan.messageLines,
      sender: plan.from,
      recipients: plan.recipients,
      sendAhead: (until) => (result.until = until),
      drip: (msPerByte) => (result.msPerByte = msPerByte),
      closeAfter: () => (result.closeAfter = true),
      hide: (steps, sender) => hidden.push(...steps.map((hiddenStep) => ({ step: hiddenStep, argument: '', hidden: { sender } }))),
      addRecipients: (addresses) => plan.recipients.push(...addresses),
    };
    this.runFaults(step, target, recipient);
    this.record(step, result.bytes);
    if (step !== 'TLS' && !(result.closeAfter && result.bytes.length === 0)) this.inFlight.push({ step, argument: recipient }, ...hidden);
    if (step === 'RCPT') this.recipientsSent++;
    if (step === 'QUIT') this.quitting = true;
    this.sentSteps.add(step);
    return result;
  }

  private record(step: SenderStep, bytes: Buffer): void {
    if (step === 'CONNECT' || bytes.length === 0) return;
    const text = bytes.toString('latin1');
    const line =
      step === 'END-OF-DATA' ? `(the message, ${bytes.length} bytes with its end)` : step === 'TLS' ? `(${bytes.length} bytes of plaintext instead of a ClientHello)` : text.replace(/\r?\n$/, '');
    this.events.push({ type: 'command', step, line: line.length > 200 ? `${line.slice(0, 200)}...` : line });
  }

  private runFaults(step: SenderStep, target: SenderFaultTarget, recipient: string): void {
    const context: StepContext = {
      argument: step === 'MAIL' ? this.plan.from : step === 'RCPT' ? recipient : '',
      session: this.plan.session,
      clientAddress: this.plan.receiverAddress,
      secure: this.secure,
      sender: this.plan.from,
      recipient: addressOf(recipient),
    };
    this.plan.faults.forEach((entry, index) => {
      if (![entry.on].flat().includes(step)) return;
      if (!applies(entry, index, context, this.plan.faultState)) return;
      const outcome = findSenderFault(entry.fault)!.apply(target, entry as never);
      if (outcome) this.events.push({ type: 'fault', fault: entry.fault, step, detail: outcome.detail });
    });
  }

  /** 220 to STARTTLS: the handshake, unless a fault does something else in its place. */
  private beginTls(): void {
    const draft = this.draft('TLS');
    if (!draft.closeAfter && draft.bytes.length === 0) {
      this.phase = 'tls';
      this.actions.push({ type: 'start-tls' });
      return;
    }
    this.summary.tls = 'failed';
    this.events.push({ type: 'tls-failed', error: draft.closeAfter ? 'the sender closed the connection instead of sending a ClientHello' : 'the sender sent plaintext instead of a ClientHello' });
    if (draft.bytes.length) this.actions.push({ type: 'write', bytes: draft.bytes });
    if (draft.closeAfter) return this.finish('close');
    this.phase = 'abandoned';
  }
}
