// Every fault registers here, one file each. The scenario schema is built from this list,
// so a new fault is usable in scenario files (and documented in schema.json) once added.
// One name per behaviour: the abort-* names of close, reset and hang at TLS are aliases,
// kept for the scenario files that use them.
import type { ConfiguredFault } from './fault.js';
import abortAlert from './abort-alert.js';
import abortGarbage from './abort-garbage.js';
import abortMidway from './abort-midway.js';
import byAddress from './by-address.js';
import close, { abortClose } from './close.js';
import delay from './delay.js';
import drip from './drip.js';
import greetPause from './greet-pause.js';
import hang, { abortSilence } from './hang.js';
import ignoreInitialResponse from './ignore-initial-response.js';
import inject from './inject.js';
import reply from './reply.js';
import reset, { abortReset } from './reset.js';
import xoauth2Error from './xoauth2-error.js';

export const FAULTS = [
  reply,
  delay,
  drip,
  close,
  reset,
  hang,
  greetPause,
  inject,
  byAddress,
  ignoreInitialResponse,
  xoauth2Error,
  abortClose,
  abortReset,
  abortGarbage,
  abortAlert,
  abortSilence,
  abortMidway,
] as const;

export type Fault = (typeof FAULTS)[number];
export type FaultName = Fault['name'];

export function findFault(name: string): Fault | undefined {
  return FAULTS.find((fault) => fault.name === name);
}

/** A scenario's fault entry, configured by the fault it names. */
export function configureFault(entry: { fault: string }): ConfiguredFault {
  const fault = findFault(entry.fault);
  if (!fault) throw new Error(`unknown fault ${entry.fault}`);
  return fault.configure(entry);
}
