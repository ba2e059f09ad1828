import { z } from 'zod';
import { defineSenderFault } from './fault.js';

// Slowloris: a byte now and then keeps a per-read timeout from ever firing, and holds one
// of the receiver's processes for as long as the sender likes.
export default defineSenderFault({
  name: 'drip',
  summary: "Send the step's bytes one at a time, msPerByte apart",
  steps: ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'END-OF-DATA', 'QUIT'],
  settings: { msPerByte: z.number().int().min(1).max(60_000).describe('The pause after each byte, in milliseconds') },
  apply(target, { msPerByte }) {
    target.drip(msPerByte);
    return { detail: `sending ${target.bytes.length} bytes one every ${msPerByte} ms` };
  },
});
