import { STEPS } from '../smtp/steps.js';
import { aliasOf, defineFault } from './fault.js';

// Never answer. The server's own idle timeout still bounds it: then the connection is
// closed without a word, as a server whose worker died would leave it. At TLS it is a
// server that agreed to STARTTLS and never says another word: the client's own timeout decides.
const hang = defineFault({
  name: 'hang',
  summary: "Never answer (at TLS, the ClientHello); close silently when the server's idle timeout ends",
  steps: STEPS,
  settings: {},
  async apply(target) {
    await target.sleep(target.idleTimeoutMs);
    target.close();
    const ms = target.idleTimeoutMs;
    return { handled: true, detail: target.step === 'TLS' ? `never answered the ClientHello; closed after ${ms} ms` : `no reply; closed after ${ms} ms of silence` };
  },
});
export default hang;

export const abortSilence = aliasOf(hang, {
  name: 'abort-silence',
  steps: ['TLS'],
  summary: 'hang at TLS, by the name older scenario files use: after "220 Ready to start TLS", never answer; close at the idle timeout',
});
