// What a server gives each of its sessions: the scenario and everything worked out from it
// once (configured faults, the engine's settings), the limits, and where events go.
import type { SessionEventInput } from '../events.js';
import type { ConfiguredFault } from '../faults/fault.js';
import type { FaultState } from '../faults/when.js';
import type { Limits } from '../limits.js';
import type { Scenario } from '../scenario/schema.js';
import type { EngineConfig } from '../tls/engine/engine.js';

/** What the connection needs from the server that serves the scenario. */
export interface ServedScenario {
  readonly scenario: Scenario;
  readonly hostname: string;
  /** The scenario's faults, in file order, configured once for this server. */
  readonly faults: readonly ConfiguredFault[];
  /** Counters and generators of the faults' `when` rules, for this server. */
  readonly faultState: FaultState;
  /** Set when the scenario's TLS is the scripted engine's. */
  readonly engine?: EngineConfig;
  readonly limits: Limits;
  nextSessionNumber(): number;
  record(session: number, event: SessionEventInput): void;
}
