import { z } from 'zod';
import { defineFault } from './fault.js';

// A server that dies in the middle of its first flight: the client has a partial
// ServerHello/Certificate and then EOF.
export default defineFault({
  name: 'abort-midway',
  summary: 'After "220 Ready to start TLS", send the first N bytes of a real server flight, then close',
  steps: ['TLS'],
  settings: { bytes: z.number().int().min(1).default(100).describe('How much of the server flight is sent') },
  async apply(target, { bytes }) {
    const hello = await target.readClientBytes();
    const flight = await target.serverFlight(hello);
    target.writeRaw(flight.subarray(0, bytes));
    target.close();
    return { handled: true, detail: `sent ${Math.min(bytes, flight.length)} of ${flight.length} bytes of the server flight, then closed` };
  },
});
