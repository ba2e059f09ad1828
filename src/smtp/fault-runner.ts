// Where the scenario's faults meet a session: one entry, runStep, for every step (the
// greeting, each command, STARTTLS's TLS, implicit TLS, the end of a message). The faults
// at the step run in file order; the first that takes the step's place ends it, and
// otherwise the step goes on as smtp-server would have it.
import type { SessionEventInput } from '../events.js';
import type { ConfiguredFault, FaultTarget } from '../faults/fault.js';
import { addressOf, applies, parametersOf, type FaultState, type StepContext } from '../faults/when.js';
import { alert } from '../tls/alerts.js';
import type { Step } from './steps.js';
import type { TlsOutcome } from './tls-outcome.js';

/** What the runner needs of the session it runs in. */
export interface FaultSession {
  readonly sessionNumber: number;
  readonly tls: TlsOutcome;
  clientAddress(): string;
  secure(): boolean;
  /** The sender of the open transaction, or ''. */
  sender(): string;
  authenticated(): boolean;
  /** More input had arrived behind the command now being run. */
  pipelined(): boolean;
  /** (END-OF-DATA) The message just received, its bytes as Latin-1. */
  content(): string;
  /** close() has begun or the connection is gone: no step has a default any more. */
  ending(): boolean;
  record(event: SessionEventInput): void;
  /** The session as the faults at this step may act on it. */
  target(step: Step, argument: string): FaultTarget;
}

export class FaultRunner {
  /** The steps some fault acts at; every other step goes on at once, unless a fault holds the session. */
  private readonly faultedSteps: ReadonlySet<Step>;
  private hold: Promise<void> | undefined;

  constructor(
    private readonly faults: readonly ConfiguredFault[],
    private readonly state: FaultState,
    private readonly session: FaultSession,
  ) {
    this.faultedSteps = new Set(faults.flatMap((fault) => fault.steps));
  }

  /**
   * Runs the faults at a step, then either `onDefault` (no fault took the step's place:
   * it goes on as normal, with the command a fault put in the client's place, if one did)
   * or `onReplaced` (one did, or the session ended meanwhile). A step no fault acts at goes
   * on synchronously, as smtp-server itself runs a command, without an async function and a
   * promise for nothing.
   */
  runStep(step: Step, argument: string, onDefault: (instead?: string) => void, onReplaced: () => void = () => undefined): void {
    if (!this.faultedSteps.has(step) && !this.hold) return this.session.ending() ? onReplaced() : onDefault();
    void (this.hold ?? Promise.resolve())
      .then(() => this.replaced(step, argument))
      .then(({ replaced, instead }) => (replaced || this.session.ending() ? onReplaced() : onDefault(instead)));
  }

  /** No step runs before `until` resolves: the session stalls (a fault's doing), its client's commands wait. */
  holdUntil(until: Promise<void>): void {
    const hold = until.finally(() => {
      if (this.hold === hold) this.hold = undefined;
    });
    this.hold = hold;
  }

  private async replaced(step: Step, argument: string): Promise<{ replaced: boolean; instead?: string }> {
    const session = this.session;
    const context = this.context(step, argument);
    let target: FaultTarget | undefined;
    let instead: string | undefined;
    for (const [index, fault] of this.faults.entries()) {
      if (!fault.steps.includes(step) || !applies(fault.when, index, context, this.state)) continue;
      target ??= session.target(step, argument);
      const outcome = await fault.apply(target);
      session.record({ type: 'fault', fault: fault.name, step, detail: outcome.detail });
      if (outcome.serverAlert !== undefined) session.tls.failed({ serverAlert: alert(outcome.serverAlert), error: outcome.detail });
      instead ??= outcome.instead;
      if (outcome.handled || session.ending()) return { replaced: true };
    }
    return instead === undefined ? { replaced: false } : { replaced: false, instead };
  }

  private context(step: Step, argument: string): StepContext {
    const { session } = this;
    return {
      argument: step === 'MAIL' || step === 'RCPT' ? addressOf(argument) : argument,
      session: session.sessionNumber,
      clientAddress: session.clientAddress(),
      secure: session.secure(),
      sender: session.sender(),
      recipient: step === 'RCPT' ? addressOf(argument) : '',
      authenticated: session.authenticated(),
      pipelined: session.pipelined(),
      parameters: step === 'MAIL' || step === 'RCPT' ? parametersOf(argument) : '',
      content: () => (step === 'END-OF-DATA' ? session.content() : ''),
    };
  }
}
