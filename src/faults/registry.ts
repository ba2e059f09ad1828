// Every fault registers here, one file each. The scenario schema is built from this list,
// so a new fault is usable in scenario files (and documented in schema.json) once added.
import type { FaultDefinition } from './fault.js';
import abortClose from './abort-close.js';
import reply from './reply.js';

export const FAULTS: readonly FaultDefinition[] = [reply, abortClose] as unknown as FaultDefinition[];

export function findFault(name: string): FaultDefinition | undefined {
  return FAULTS.find((fault) => fault.name === name);
}
