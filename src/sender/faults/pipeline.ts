import { defineSenderFault } from './fault.js';

// RFC 2920: a client may send MAIL, RCPT and DATA in one go only when the server
// advertised PIPELINING. Ratware does it regardless.
export default defineSenderFault({
  name: 'pipeline',
  summary: 'Send MAIL, every RCPT and DATA in one write, whether or not the EHLO reply offered PIPELINING',
  steps: ['MAIL'],
  settings: {},
  apply(target) {
    target.sendAhead('DATA');
    return { detail: `sent MAIL, ${target.recipients.length} RCPT and DATA in one write` };
  },
});
