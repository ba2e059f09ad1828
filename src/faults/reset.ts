import { STEPS } from '../smtp/steps.js';
import { aliasOf, defineFault } from './fault.js';

// At TLS: a TLS layer that crashes after agreeing to STARTTLS; the kernel answers with a reset.
const reset = defineFault({
  name: 'reset',
  summary: 'Reset the connection (TCP RST) instead of answering; at TLS, instead of a handshake',
  steps: STEPS,
  settings: {},
  apply(target) {
    target.reset();
    return { handled: true, detail: target.step === 'TLS' ? 'reset the connection (RST) instead of a handshake (on purpose)' : 'reset the connection (RST)' };
  },
});
export default reset;

export const abortReset = aliasOf(reset, {
  name: 'abort-reset',
  steps: ['TLS'],
  summary: 'reset at TLS, by the name older scenario files use: after "220 Ready to start TLS", reset the connection (TCP RST)',
});
