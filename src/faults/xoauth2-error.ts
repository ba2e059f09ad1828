import { z } from 'zod';
import { defineFault } from './fault.js';

// How Gmail and Outlook refuse an OAuth 2.0 token (RFC 7628 §3.2.2): `334` and a base64
// JSON error, which the client must answer (with an empty line) before the final `535`.
// A client that gives up at the 334, or resends its token, hangs or loops.
export default defineFault({
  name: 'xoauth2-error',
  summary: 'Refuse the credentials with an XOAUTH2 error: 334 and the base64 JSON error, then 535 once the client answers it',
  steps: ['END-OF-AUTH'],
  settings: {
    status: z.string().default('401').describe('The error\'s HTTP-like status ("401": the token is invalid or expired)'),
    schemes: z.string().default('bearer mac').describe('The token schemes the server takes'),
    scope: z.string().default('https://mail.google.com/').describe('The scope a token needs'),
  },
  apply(target, error) {
    target.challenge(error);
    return { handled: true, detail: `challenged with the XOAUTH2 error ${JSON.stringify(error)}; 535 follows the client's answer` };
  },
});
