import { z } from 'zod';
import { alertName } from '../tls/alerts.js';
import { defineFault } from './fault.js';

// What an OpenSSL server logs as "no shared cipher" or "SSL alert number 40": it reads the
// ClientHello, finds nothing it can agree to, and answers with a fatal alert.
export default defineFault({
  name: 'abort-alert',
  summary: 'After "220 Ready to start TLS", read the ClientHello and answer with a fatal TLS alert',
  steps: ['TLS'],
  settings: { alert: z.number().int().min(0).max(255).default(40).describe('The alert number (40: handshake_failure)') },
  async apply(target, { alert }) {
    const hello = await target.readClientBytes();
    // A TLS 1.2 alert record: content type 21, version 3.3, length 2, level fatal, description.
    target.writeRaw(Buffer.from([21, 3, 3, 0, 2, 2, alert]));
    target.close();
    return { handled: true, detail: `read ${hello.length} bytes of ClientHello, sent fatal alert ${alert} (${alertName(alert)})`, serverAlert: alert };
  },
});
