import { z } from 'zod';
import { defineFault } from './fault.js';

// TLS lets a record carry anything from one byte to 16 KB (RFC 5246 §6.2.1), and lets a
// handshake message span records. A client that expects a message in one record, or a
// reply in one read, breaks on a server that cuts everything into one-byte records.
// Node's TLS cannot be told the size of its records (its floor is 512 bytes, and not for
// the handshake): the scripted engine only.
export default defineFault({
  name: 'record-size',
  summary: 'After "220 Ready to start TLS", the scripted engine cuts every handshake message and every reply into records of at most `bytes` (engine: scripted)',
  steps: ['TLS'],
  settings: { bytes: z.number().int().min(1).max(16_384).default(1).describe('The most plaintext a record carries') },
  engines: ['scripted'],
  apply(target, { bytes }) {
    target.limitRecords(bytes);
    return { handled: false, detail: `the engine writes records of at most ${bytes} byte${bytes === 1 ? '' : 's'}` };
  },
});
