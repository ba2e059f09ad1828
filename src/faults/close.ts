import { STEPS } from '../smtp/steps.js';
import { aliasOf, defineFault } from './fault.js';

// At TLS: a server whose TLS layer fails after it has agreed to STARTTLS (a broken key
// file, an OpenSSL that cannot load its config) typically closes the socket before sending
// a single TLS byte; clients report an unexpected EOF during the handshake.
const close = defineFault({
  name: 'close',
  summary: 'Close the connection (FIN) instead of answering; at TLS, before any TLS byte',
  steps: STEPS,
  settings: {},
  apply(target) {
    target.close();
    return { handled: true, detail: target.step === 'TLS' ? 'closed the connection before any TLS byte (on purpose)' : 'closed the connection without a reply' };
  },
});
export default close;

export const abortClose = aliasOf(close, {
  name: 'abort-close',
  steps: ['TLS'],
  summary: 'close at TLS, by the name older scenario files use: after "220 Ready to start TLS", close (FIN) before any TLS byte',
});
