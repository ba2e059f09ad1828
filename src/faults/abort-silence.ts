import { defineFault } from './fault.js';

// A server that agreed to STARTTLS and then never says another word: the client's own
// timeout decides; the server gives up at its idle timeout.
export default defineFault({
  name: 'abort-silence',
  summary: 'After "220 Ready to start TLS", never answer; close at the server\'s idle timeout',
  steps: ['TLS'],
  settings: {},
  async apply(target) {
    await target.sleep(target.idleTimeoutMs);
    target.close();
    return { handled: true, detail: `never answered the ClientHello; closed after ${target.idleTimeoutMs} ms` };
  },
});
