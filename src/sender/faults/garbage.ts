import { z } from 'zod';
import { defineSenderFault } from './fault.js';

// A sender that misreads "220 Ready to start TLS" and goes on in plaintext: the receiver's
// TLS library reads SMTP where a ClientHello should be.
export default defineSenderFault({
  name: 'garbage',
  summary: 'After "220 Ready to start TLS", send plaintext instead of a ClientHello',
  steps: ['TLS'],
  settings: {
    text: z.string().min(1).default('MAIL FROM:<{from}>\r\n').describe('What to send; {from} stands for the sender address'),
  },
  apply(target, { text }) {
    target.bytes = Buffer.from(text.replaceAll('{from}', target.sender), 'latin1');
    return { detail: `sent ${target.bytes.length} bytes of plaintext instead of a ClientHello` };
  },
});
