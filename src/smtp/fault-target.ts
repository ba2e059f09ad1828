// What a fault may do to a session (FaultTarget), made from the session's own operations.
import type { Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { FaultTarget } from '../faults/fault.js';
import { serverFlight } from '../tls/node/flight.js';
import type { Step } from './steps.js';

/**
 * Where the reply of a step goes that smtp-server answers through a callback of its own
 * (onData's at END-OF-DATA, onAuth's at END-OF-AUTH) rather than through send.
 */
export interface StepAnswer {
  reply(code: number, lines: string[]): void;
  /** (END-OF-AUTH) An XOAUTH2 error challenge. */
  challenge?(error: Record<string, string>): void;
}

/** The session's side: its socket now, its replies, and how it ends. */
export interface TargetSession {
  socket(): Socket;
  send(code: number, lines: string[]): void;
  /** The callback a step's reply goes through, when smtp-server answers it itself. */
  answerFor(step: Step): StepAnswer | undefined;
  recipients(): readonly string[];
  /** Ends the session with a FIN, as the server's doing. */
  close(): void;
  /** Ends it with a TCP RST, as the server's doing. */
  reset(): void;
  sleep(ms: number): Promise<void>;
  idleTimeoutMs(): number;
  talkedEarly(): boolean;
  dripNextReply(msPerByte: number): void;
  injectAfterReady(lines: string[]): void;
  secureContext(): SecureContext | undefined;
}

export function faultTarget(session: TargetSession, step: Step, argument: string): FaultTarget {
  const answer = session.answerFor(step);
  return {
    step,
    argument,
    reply: (code, lines) => (answer ? answer.reply(code, lines) : session.send(code, lines)),
    challenge: (error) => answer?.challenge?.(error),
    recipients: () => session.recipients(),
    writeRaw: (bytes) => void session.socket().write(bytes),
    close: () => session.close(),
    reset: () => session.reset(),
    idleTimeoutMs: session.idleTimeoutMs(),
    talkedEarly: () => session.talkedEarly(),
    dripNextReply: (msPerByte) => session.dripNextReply(msPerByte),
    injectAfterReady: (lines) => session.injectAfterReady(lines),
    readClientBytes: () => nextChunk(session.socket()),
    serverFlight: async (clientHello) => {
      const context = session.secureContext();
      return context ? serverFlight(context, clientHello) : Buffer.alloc(0);
    },
    sleep: (ms) => session.sleep(ms),
  };
}

/** The next chunk the client sends (its ClientHello, after STARTTLS), or nothing if it closes. */
function nextChunk(socket: Socket): Promise<Buffer> {
  return new Promise<Buffer>((resolve) => {
    const done = (chunk?: Buffer) => {
      socket.off('data', done);
      socket.off('close', done);
      resolve(chunk ?? Buffer.alloc(0));
    };
    socket.on('data', done);
    socket.once('close', done);
    socket.resume();
  });
}
