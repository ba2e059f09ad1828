import { z } from 'zod';
import { STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

// A tarpit: the reply comes, but late. Spam filters do this on purpose; overloaded
// servers do it by accident. Clients with short timeouts give up.
export default defineFault({
  name: 'delay',
  summary: 'Wait before the step goes on as normal (a tarpit)',
  steps: STEPS,
  settings: { ms: z.number().int().min(0).max(600_000).describe('How long to wait, in milliseconds') },
  async apply(target, { ms }) {
    await target.sleep(ms);
    return { handled: false, detail: `waited ${ms} ms` };
  },
});
