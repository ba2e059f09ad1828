import { STEPS } from '../smtp/steps.js';
import { aliasOf, defineFault } from './fault.js';
import { atMoment, atSetting, momentText } from './moment.js';

// At TLS: a server whose TLS layer fails after it has agreed to STARTTLS (a broken key
// file, an OpenSSL that cannot load its config) typically closes the socket before sending
// a single TLS byte; clients report an unexpected EOF during the handshake. Inside TLS the
// close is a clean one: close_notify, then the FIN (close-notify and truncate are the
// broken ones).
const close = defineFault({
  name: 'close',
  summary: 'Close the connection (FIN; inside TLS, close_notify first) instead of answering, or at the moment `at` says; at TLS, before any TLS byte',
  steps: STEPS,
  settings: { at: atSetting },
  apply(target, { at }) {
    const handled = atMoment(target, at, () => target.close());
    if (target.step === 'TLS') return { handled, detail: 'closed the connection before any TLS byte (on purpose)' };
    return { handled, detail: at === 'reply' ? 'closed the connection without a reply' : `closes the connection ${momentText(at, target.step)}` };
  },
});
export default close;

export const abortClose = aliasOf(close, {
  name: 'abort-close',
  steps: ['TLS'],
  summary: 'close at TLS, by the name older scenario files use: after "220 Ready to start TLS", close (FIN) before any TLS byte',
});
