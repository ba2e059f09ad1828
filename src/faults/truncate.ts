import { REPLY_STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';
import { atMoment, atSetting, momentText } from './moment.js';

// TLS 1.2 and 1.3 end a session with close_notify, so a reader can tell the end of the
// data from a cut connection (RFC 8446 §6.1). A server that closes TCP without it (a
// process that exits, a load balancer that times out) leaves the client to decide: OpenSSL
// 3 reports "unexpected eof while reading"; others take it as the end.
export default defineFault({
  name: 'truncate',
  summary: 'Inside TLS: close the TCP connection with no close_notify first (a truncation), instead of answering or at the moment `at` says',
  steps: REPLY_STEPS,
  settings: { at: atSetting },
  encryptedStream: true,
  apply(target, { at }) {
    const handled = atMoment(target, at, () => target.closeTcp());
    return { handled, detail: `closes TCP without close_notify ${momentText(at, target.step)}` };
  },
});
