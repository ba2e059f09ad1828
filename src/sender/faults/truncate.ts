import { z } from 'zod';
import { defineSenderFault } from './fault.js';

// A sender that dies (or loses its link) halfway through a message: the receiver holds a
// partial message with no final dot, which it must not deliver.
export default defineSenderFault({
  name: 'truncate',
  summary: "Send only the first bytes of the step (for END-OF-DATA: of the message), then end the connection",
  steps: ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'END-OF-DATA', 'QUIT'],
  settings: { bytes: z.number().int().min(0).describe('How many bytes of the step to send before the FIN') },
  apply(target, { bytes }) {
    const total = target.bytes.length;
    target.bytes = target.bytes.subarray(0, bytes);
    target.closeAfter();
    return { detail: `sent ${target.bytes.length} of ${total} bytes, then closed` };
  },
});
