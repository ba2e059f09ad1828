// What the receiver suites share (test/postfix/receiver.ts, test/exim/receiver.ts): a
// real MTA as a daemon on a loopback port, one run of a sender scenario against it, and the
// lines the MTA logged during that run. A daemon serves many runs, one after another: a
// run's lines are those its log gained meanwhile, complete once the MTA has logged the end
// of every session the sender opened.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { startSender, type SendResult, type StartSenderOptions } from '../../src/index.js';
import { sleep } from './support.js';

/** The receiver's host name (sendmail's is the same: test/sendmail/receiver.ts). */
export const RECEIVER_HOSTNAME = 'mx.receiver.test';
/** A recipient every receiver here relays for a sender on 127.0.0.1. */
export const RECEIVER_RCPT = 'rcpt@remote.example.test';

export interface ReceiverRun {
  /** What broken-mta send saw. */
  sent: SendResult;
  /** The lines the MTA logged during the run, as it wrote them. */
  log: string[];
  /** Messages the run left in the MTA's queue (nothing is delivered anywhere). */
  queued: number;
}

export interface Receiver {
  readonly port: number;
  /** Every line the MTA has logged so far. */
  logLines(): string[];
  /** Messages in its queue now. */
  queued(): number;
  send(scenario: string, options?: Partial<StartSenderOptions>): Promise<ReceiverRun>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * Until something listens on 127.0.0.1:port; read from /proc, since a probing connection
 * would be a session in the MTA's log. `failed` says why waiting is pointless (the daemon
 * exited), or undefined.
 */
export async function waitListening(port: number, failed: () => string | undefined, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (;;) {
    const reason = failed();
    if (reason) throw new Error(reason);
    const listening = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .some((line) => line.trim().split(/\s+/)[1] === local && line.trim().split(/\s+/)[3] === '0A');
    if (listening) return;
    if (Date.now() > deadline) throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/**
 * One run of a sender scenario against a receiver, and the lines the receiver logged:
 * those after the lines it had, once `sessionsEnded` counts as many ended sessions as the
 * sender opened (or 5 s have passed: a run's lines are then what there is) and the log
 * has stopped growing.
 */
export async function sendAndWatch(
  receiver: Receiver,
  scenario: string,
  options: Partial<StartSenderOptions>,
  sessionsEnded: (lines: string[]) => number,
): Promise<ReceiverRun> {
  const from = receiver.logLines().length;
  const queuedBefore = receiver.queued();
  const sent = await startSender(scenario, { port: receiver.port, rcpt: [RECEIVER_RCPT], timeoutMs: 10_000, ...options });
  const sessions = sent.events.filter((event) => event.type === 'connect').length;
  const deadline = Date.now() + 5000;
  while (sessionsEnded(receiver.logLines().slice(from)) < sessions && Date.now() < deadline) await sleep(25);
  // What the MTA logs after the sessions' end (its queue manager's lines about the
  // messages) belongs to this run, not to the next: until the log has been still a while.
  let lines = receiver.logLines().length;
  for (let still = 0; still < 200 && Date.now() < deadline + 3000; still += 50) {
    await sleep(50);
    const now = receiver.logLines().length;
    if (now !== lines) [lines, still] = [now, 0];
  }
  return { sent, log: receiver.logLines().slice(from), queued: receiver.queued() - queuedBefore };
}
