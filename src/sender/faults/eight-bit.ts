import { defineSenderFault } from './fault.js';

// RFC 6152: 8-bit text needs the server's 8BITMIME and MAIL ... BODY=8BITMIME. Many
// senders send raw UTF-8 regardless, and most receivers take it.
export default defineSenderFault({
  name: 'eight-bit',
  summary: 'Put raw 8-bit (UTF-8) text into the message, with no BODY=8BITMIME on MAIL (END-OF-DATA)',
  steps: ['END-OF-DATA'],
  settings: {},
  apply(target) {
    const text = target.bytes.toString('latin1');
    const bodyStart = text.indexOf('\r\n\r\n') + 4;
    const eightBit = Buffer.from('Gr\u00fc\u00dfe aus K\u00f6ln, \u00e7a va tr\u00e8s bien\r\n', 'utf8').toString('latin1');
    target.bytes = Buffer.from(text.slice(0, bodyStart) + eightBit + text.slice(bodyStart), 'latin1');
    return { detail: 'the body holds a line of UTF-8 text; MAIL has no BODY=8BITMIME' };
  },
});
