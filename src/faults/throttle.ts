import { z } from 'zod';
import { defineFault } from './fault.js';

// A slow link (a satellite hop, a congested VPN, a traffic shaper) under TLS: the
// handshake's flight and every reply after it trickle in, and a client whose handshake or
// reply timeout is shorter than the link is slow gives up.
export default defineFault({
  name: 'throttle',
  summary: 'After "220 Ready to start TLS" (or at connect, with implicit TLS), the server sends the encrypted stream at most `bytesPerSecond`, the handshake included',
  steps: ['TLS'],
  settings: { bytesPerSecond: z.number().int().min(10).max(100_000_000).describe('The most bytes the server sends in a second') },
  encryptedStream: true,
  apply(target, { bytesPerSecond }) {
    target.throttleEncrypted(bytesPerSecond);
    return { handled: false, detail: `the encrypted stream goes out at ${bytesPerSecond} bytes a second` };
  },
});
