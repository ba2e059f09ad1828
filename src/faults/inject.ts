import { z } from 'zod';
import { formatReply } from '../smtp/reply.js';
import { defineFault } from './fault.js';

// STARTTLS response injection (the 2021 "Why TLS is better without STARTTLS" study):
// plaintext reply lines ride in the same segment as "220 Ready to start TLS". A client
// that keeps them buffered reads them as replies inside the TLS session.
export default defineFault({
  name: 'inject',
  summary: 'Write extra plaintext reply lines in the same write as the ready reply to STARTTLS',
  steps: ['STARTTLS'],
  settings: { lines: z.array(z.string().min(1)).min(1).describe('The injected lines, without line endings') },
  apply(target, { lines }) {
    const injected = lines.map((line) => `${line}\r\n`).join('');
    target.shapeNextReply({ bytes: (ready) => Buffer.from(formatReply(ready.code, ready.lines) + injected, 'latin1') });
    return { handled: false, detail: `injected after the ready reply: ${JSON.stringify(injected)}` };
  },
});
