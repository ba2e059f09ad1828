import { defineFault } from './fault.js';

// A TLS layer that crashes after agreeing to STARTTLS: the kernel answers with a reset.
export default defineFault({
  name: 'abort-reset',
  summary: 'After "220 Ready to start TLS", reset the connection (TCP RST)',
  steps: ['TLS'],
  settings: {},
  apply(target) {
    target.reset();
    return { handled: true, detail: 'reset the connection (RST) instead of a handshake (on purpose)' };
  },
});
