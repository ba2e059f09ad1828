import { alertSetting } from '../tls/alert-setting.js';
import { alert as describeAlert, alertNumber } from '../tls/alerts.js';
import { ContentType, encodeRecord } from '../tls/engine/records.js';
import { VERSION_CODES } from '../tls/engine/suites.js';
import { defineFault } from './fault.js';

// What an OpenSSL server logs as "no shared cipher" or "SSL alert number 40": it reads the
// ClientHello, finds nothing it can agree to, and answers with a fatal alert.
export default defineFault({
  name: 'abort-alert',
  summary: 'After "220 Ready to start TLS", read the ClientHello and answer with a fatal TLS alert',
  steps: ['TLS'],
  settings: { alert: alertSetting.default(40).describe('The alert, by number or by name (40: handshake_failure)') },
  async apply(target, settings) {
    const hello = await target.readClientBytes();
    const alert = describeAlert(alertNumber(settings.alert));
    const fatal = 2;
    target.writeRaw(encodeRecord(ContentType.Alert, VERSION_CODES['TLSv1.2'], Buffer.of(fatal, alert.code)));
    target.close();
    return { handled: true, detail: `read ${hello.length} bytes of ClientHello, sent fatal alert ${alert.code} (${alert.name})`, serverAlert: alert.code };
  },
});
