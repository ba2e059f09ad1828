import { STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

// Never answer. The server's own idle timeout still bounds it: then the connection is
// closed without a word, as a server whose worker died would leave it.
export default defineFault({
  name: 'hang',
  summary: "Never answer; close silently when the server's idle timeout ends",
  steps: STEPS,
  settings: {},
  async apply(target) {
    await target.sleep(target.idleTimeoutMs);
    target.close();
    return { handled: true, detail: `no reply; closed after ${target.idleTimeoutMs} ms of silence` };
  },
});
