import { defineSenderFault } from './fault.js';

// Spamware and some embedded senders talk as soon as the TCP connection is up. RFC 5321
// §3.1 says to wait for the greeting; sendmail's greet_pause and Postfix's postscreen
// catch the ones that do not.
export default defineSenderFault({
  name: 'pregreet',
  summary: 'Send EHLO as soon as the connection is up, before the greeting',
  steps: ['CONNECT'],
  settings: {},
  apply(target) {
    target.sendAhead('EHLO');
    return { detail: 'sent EHLO before the greeting' };
  },
});
