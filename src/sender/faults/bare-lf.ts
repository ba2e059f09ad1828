import { bareLf, defineSenderFault } from './fault.js';

// Scripts that pipe Unix text into a socket: every line ends in LF alone. RFC 5321 §2.3.8
// allows only CRLF; receivers differ (accept, normalise, reject), which is what SMTP
// smuggling feeds on.
export default defineSenderFault({
  name: 'bare-lf',
  summary: 'End every line the step sends with a bare LF instead of CRLF (for END-OF-DATA: the message and its final dot)',
  steps: ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', 'END-OF-DATA', 'QUIT'],
  settings: {},
  apply(target) {
    target.bytes = bareLf(target.bytes);
    return { detail: `every line ends in a bare LF (${target.bytes.length} bytes)` };
  },
});
