// Every fault registers here, one file each. The scenario schema is built from this list,
// so a new fault is usable in scenario files (and documented in schema.json) once added.
import type { FaultDefinition } from './fault.js';
import abortAlert from './abort-alert.js';
import abortClose from './abort-close.js';
import abortGarbage from './abort-garbage.js';
import abortMidway from './abort-midway.js';
import abortReset from './abort-reset.js';
import abortSilence from './abort-silence.js';
import close from './close.js';
import delay from './delay.js';
import drip from './drip.js';
import greetPause from './greet-pause.js';
import hang from './hang.js';
import hideStarttls from './hide-starttls.js';
import inject from './inject.js';
import reply from './reply.js';
import reset from './reset.js';

export const FAULTS: readonly FaultDefinition[] = [
  reply,
  delay,
  drip,
  close,
  reset,
  hang,
  greetPause,
  inject,
  hideStarttls,
  abortClose,
  abortReset,
  abortGarbage,
  abortAlert,
  abortSilence,
  abortMidway,
] as unknown as FaultDefinition[];

export function findFault(name: string): FaultDefinition | undefined {
  return FAULTS.find((fault) => fault.name === name);
}
