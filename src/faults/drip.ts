import { z } from 'zod';
import { REPLY_STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

// The reply arrives one byte at a time: each read the client makes succeeds, so a client
// that only times out on an idle socket waits for as long as the server likes.
export default defineFault({
  name: 'drip',
  summary: "Send the step's normal reply one byte at a time",
  steps: REPLY_STEPS,
  settings: { msPerByte: z.number().int().min(1).max(60_000).describe('Pause between bytes, in milliseconds') },
  apply(target, { msPerByte }) {
    target.dripNextReply(msPerByte);
    return { handled: false, detail: `the reply goes out one byte every ${msPerByte} ms` };
  },
});
