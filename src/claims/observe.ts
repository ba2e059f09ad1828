// One client run against a running scenario, observed from both ends: the program's exit
// and output, and the server's events for the sessions the run opened. The server records
// the end of a session just after the client has gone, so the run settles first.
import type { SessionEvent } from '../events.js';
import type { Observation } from './check.js';
import type { ProgramRun } from './run.js';

/** What observing needs of a running scenario (the API's RunningScenario has it). */
export interface ObservedServer {
  readonly events: readonly SessionEvent[];
  readonly openSessions: number;
}

export interface ClientRun extends ProgramRun {
  /** The client MTA's log lines of the run, when it has a log. */
  log?: string[];
}

/**
 * Runs the client, then waits (up to settleMs) for every session to close, and returns the
 * run with the events recorded since it began.
 */
export async function observeRun(server: ObservedServer, run: () => Promise<ClientRun>, settleMs: number): Promise<Observation> {
  const offset = server.events.length;
  const result = await run();
  const deadline = Date.now() + settleMs;
  while (server.openSessions > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return { ...result, events: server.events.slice(offset) };
}
