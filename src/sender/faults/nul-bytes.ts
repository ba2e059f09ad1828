import { defineSenderFault } from './fault.js';

// NUL bytes in a message: legal nowhere in RFC 5322 text, they truncate C strings in
// filters downstream and were one more way to smuggle an end of data.
export default defineSenderFault({
  name: 'nul-bytes',
  summary: 'Put NUL bytes into the message text (END-OF-DATA)',
  steps: ['END-OF-DATA'],
  settings: {},
  apply(target) {
    const text = target.bytes.toString('latin1');
    const bodyStart = text.indexOf('\r\n\r\n') + 4;
    const nul = 'a line with NUL\u0000bytes\u0000\u0000inside\r\n';
    target.bytes = Buffer.from(text.slice(0, bodyStart) + nul + text.slice(bodyStart), 'latin1');
    return { detail: 'the body holds a line with 3 NUL bytes' };
  },
});
