import { STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

export default defineFault({
  name: 'close',
  summary: 'Close the connection (FIN) instead of answering',
  steps: STEPS,
  settings: {},
  apply(target) {
    target.close();
    return { handled: true, detail: 'closed the connection without a reply' };
  },
});
