// The replies smtp-server sends itself, through the callback of one of its application
// hooks: onData's at END-OF-DATA, onAuth's at END-OF-AUTH. A fault at those steps answers
// through the callback, so that smtp-server's own state (the transaction, session.user)
// follows what the client was told.
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from 'smtp-server';
import type { SessionEventInput } from '../events.js';
import { clip } from './event-text.js';
import type { FaultRunner } from './fault-runner.js';
import type { StepAnswer } from './fault-target.js';
import type { Step } from './steps.js';

export type DataCallback = (err?: Error | null, message?: string) => void;
export type AuthCallback = (err: Error | null | undefined, response?: SMTPServerAuthenticationResponse) => void;

const refusal = (code: number, lines: readonly string[]) => Object.assign(new Error(lines.join(' ')), { responseCode: code });

/** The reply to a message's end: below 400 smtp-server says 250 with the text given. */
export function dataAnswer(callback: DataCallback): StepAnswer {
  return { reply: (code, lines) => (code < 400 ? callback(null, lines.join(' ')) : callback(refusal(code, lines))) };
}

/** The verdict on credentials: below 400 they are accepted (235), else refused with the reply. */
export function authAnswer(callback: AuthCallback, user: string): StepAnswer & { accept(): void } {
  const accept = () => callback(null, { user });
  return {
    accept,
    reply: (code, lines) => (code < 400 ? accept() : callback(refusal(code, lines))),
    // smtp-server sends 334 and the base64 JSON, then 535 to whatever the client answers.
    challenge: (error) => callback(null, { data: error }),
  };
}

/**
 * What may be said of credentials: the mechanism and the user name, never the secret. A
 * user name that is the secret itself (a client that answered a second "Username:" with
 * its password) is not said either.
 */
export function credentialsSeen(auth: SMTPServerAuthentication): { mechanism: string; user: string } {
  const user = auth.username ?? '';
  const secret = auth.password ?? auth.accessToken;
  return { mechanism: auth.method, user: secret && user === secret ? '(the secret itself: redacted)' : clip(user) };
}

/** A session's steps that smtp-server answers through its callbacks, while faults there decide. */
export class CallbackAnswers {
  private readonly answers = new Map<Step, StepAnswer>();
  /** The message at END-OF-DATA, for faults that look into it. */
  private message: Buffer = Buffer.alloc(0);

  constructor(
    private readonly faults: FaultRunner,
    private readonly record: (event: SessionEventInput) => void,
  ) {}

  answerFor(step: Step): StepAnswer | undefined {
    return this.answers.get(step);
  }

  /** The message now at END-OF-DATA, its bytes as Latin-1. */
  content(): string {
    return this.message.toString('latin1');
  }

  /** A message's end (message-intake.ts): the reply goes through smtp-server's onData callback. */
  finishData(callback: DataCallback, message: Buffer): void {
    this.message = message;
    this.answers.set('END-OF-DATA', dataAnswer(callback));
    this.faults.runStep('END-OF-DATA', '', () => callback(null, 'Message accepted'));
  }

  /** Credentials (server.ts's onAuth): faults at END-OF-AUTH give the verdict, else they are accepted. */
  verifyCredentials(auth: SMTPServerAuthentication, callback: AuthCallback): void {
    const { mechanism, user } = credentialsSeen(auth);
    this.record({ type: 'auth', mechanism, user });
    const answer = authAnswer(callback, auth.username ?? '');
    this.answers.set('END-OF-AUTH', answer);
    this.faults.runStep('END-OF-AUTH', `${mechanism} ${user}`, answer.accept);
  }
}
