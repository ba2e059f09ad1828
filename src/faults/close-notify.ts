import { REPLY_STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';
import { atMoment, atSetting, momentText } from './moment.js';

// The TLS session ends (close_notify) and the TCP connection does not: the server reads
// nothing more and waits for the client to close. A client that waits for the FIN after
// QUIT, or that never reads the alert, waits; smtp-server's half-close deadline (5 s, or
// the idle timeout if shorter) ends it.
export default defineFault({
  name: 'close-notify',
  summary: 'Inside TLS: send close_notify and leave the TCP connection open, instead of answering or at the moment `at` says',
  steps: REPLY_STEPS,
  settings: { at: atSetting },
  encryptedStream: true,
  apply(target, { at }) {
    const handled = atMoment(target, at, () => target.closeNotify());
    return { handled, detail: `sends close_notify and leaves TCP open ${momentText(at, target.step)}` };
  },
});
