import { STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

export default defineFault({
  name: 'reset',
  summary: 'Reset the connection (TCP RST) instead of answering',
  steps: STEPS,
  settings: {},
  apply(target) {
    target.reset();
    return { handled: true, detail: 'reset the connection (RST)' };
  },
});
