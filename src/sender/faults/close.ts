import { defineSenderFault } from './fault.js';
import { SENDER_STEPS } from './fault.js';

// At TLS: the client asked for STARTTLS, got "220 Ready to start TLS", and hangs up before
// its ClientHello, as senders whose TLS library fails to initialise do.
export default defineSenderFault({
  name: 'close',
  summary: 'End the connection with a FIN instead of the step',
  steps: SENDER_STEPS,
  settings: {},
  apply(target) {
    target.bytes = Buffer.alloc(0);
    target.closeAfter();
    return { detail: `closed the connection instead of ${target.step === 'TLS' ? 'a ClientHello' : target.step}` };
  },
});
