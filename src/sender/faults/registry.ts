// Every sender fault registers here, one file each; the sender schema is built from this
// list, as the server's is from src/faults/registry.ts.
import bareLf from './bare-lf.js';
import close from './close.js';
import drip from './drip.js';
import eightBit from './eight-bit.js';
import type { SenderFaultDefinition } from './fault.js';
import garbage from './garbage.js';
import nulBytes from './nul-bytes.js';
import pipeline from './pipeline.js';
import pregreet from './pregreet.js';
import recipientFlood from './recipient-flood.js';
import smuggle from './smuggle.js';
import truncate from './truncate.js';

export const SENDER_FAULTS: readonly SenderFaultDefinition[] = [
  pregreet,
  pipeline,
  close,
  truncate,
  drip,
  garbage,
  bareLf,
  smuggle,
  nulBytes,
  eightBit,
  recipientFlood,
] as unknown as SenderFaultDefinition[];

export function findSenderFault(name: string): SenderFaultDefinition | undefined {
  return SENDER_FAULTS.find((fault) => fault.name === name);
}
