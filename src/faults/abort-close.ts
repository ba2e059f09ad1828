import { defineFault } from './fault.js';

// A server whose TLS layer fails after it has agreed to STARTTLS (a broken key file, an
// OpenSSL that cannot load its config) typically closes the socket before sending a
// single TLS byte; clients report an unexpected EOF during the handshake.
export default defineFault({
  name: 'abort-close',
  summary: 'After "220 Ready to start TLS", close the connection (FIN) before any TLS byte',
  steps: ['TLS'],
  settings: {},
  apply(target) {
    target.close();
    return { handled: true, detail: 'closed the connection before any TLS byte (on purpose)' };
  },
});
