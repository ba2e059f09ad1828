import { parseReply } from '../smtp/reply.js';
import { replySetting } from '../smtp/reply-setting.js';
import { defineFault } from './fault.js';

// A pool of MX hosts behind one name where some nodes have no TLS, or a middlebox that
// strips STARTTLS from some sessions: the session looks like a server without TLS, and a
// client that only uses TLS when offered sends the mail in plaintext. With `probability`
// and `seed` it hits a reproducible fraction of sessions; `times: 1, per: session` makes
// it one draw per session.
export default defineFault({
  name: 'hide-starttls',
  summary: "Leave STARTTLS out of the session's EHLO reply, and refuse the command in that session, as a server without TLS does",
  steps: ['EHLO'],
  settings: {
    reply: replySetting.default('502 5.5.1 Error: command not implemented').describe('The reply to a STARTTLS sent anyway'),
  },
  apply(target, { reply }) {
    const refusal = parseReply(reply);
    target.hideStartTls(refusal);
    return { handled: false, detail: `STARTTLS left out of EHLO; the command gets ${refusal.code} in this session` };
  },
});
