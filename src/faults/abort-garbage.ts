import { z } from 'zod';
import { defineFault } from './fault.js';

// A middlebox or a misconfigured server that answers the ClientHello in plaintext; the
// client reads the text as a TLS record header and reports a wrong version number.
export default defineFault({
  name: 'abort-garbage',
  summary: 'After "220 Ready to start TLS", answer the ClientHello with plaintext instead of a ServerHello',
  steps: ['TLS'],
  settings: {
    text: z.string().min(1).default('421 4.3.0 TLS engine unavailable\r\n').describe('What is sent instead of TLS'),
  },
  async apply(target, { text }) {
    const hello = await target.readClientBytes();
    target.writeRaw(Buffer.from(text));
    target.close();
    return { handled: true, detail: `read ${hello.length} bytes of ClientHello, answered ${JSON.stringify(text)} in plaintext` };
  },
});
