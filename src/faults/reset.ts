import { STEPS } from '../smtp/steps.js';
import { aliasOf, defineFault } from './fault.js';
import { atMoment, atSetting, momentText } from './moment.js';

// At TLS: a TLS layer that crashes after agreeing to STARTTLS; the kernel answers with a
// reset. Inside TLS (a firewall that inspects the session, a server that crashes while the
// message comes in) the RST goes to TCP under it: TLS has no reset of its own.
const reset = defineFault({
  name: 'reset',
  summary: 'Reset the connection (TCP RST) instead of answering, or at the moment `at` says; at TLS, instead of a handshake',
  steps: STEPS,
  settings: { at: atSetting },
  apply(target, { at }) {
    const handled = atMoment(target, at, () => target.reset());
    if (target.step === 'TLS') return { handled, detail: 'reset the connection (RST) instead of a handshake (on purpose)' };
    return { handled, detail: at === 'reply' ? 'reset the connection (RST)' : `resets the connection (RST) ${momentText(at, target.step)}` };
  },
});
export default reset;

export const abortReset = aliasOf(reset, {
  name: 'abort-reset',
  steps: ['TLS'],
  summary: 'reset at TLS, by the name older scenario files use: after "220 Ready to start TLS", reset the connection (TCP RST)',
});
