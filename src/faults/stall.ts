import { z } from 'zod';
import { defineFault } from './fault.js';

// The handshake completes, then nothing: a server whose TLS layer is done before its SMTP
// layer is ready (a slow milter at connect, a reverse-DNS lookup after the handshake). The
// client has the server's Finished and waits for the reply to its EHLO.
export default defineFault({
  name: 'stall',
  summary: "Once the handshake is done (the server's Finished is out), the encrypted stream says nothing for `ms`, then goes on",
  steps: ['TLS'],
  settings: { ms: z.number().int().min(1).max(600_000).describe('How long the stream stalls, in milliseconds') },
  encryptedStream: true,
  apply(target, { ms }) {
    target.stallAfterHandshake(ms);
    return { handled: false, detail: `the encrypted stream stalls for ${ms} ms once the handshake is done` };
  },
});
