import { z } from 'zod';
import { parseReply } from '../smtp/reply.js';
import { replySetting } from '../smtp/reply-setting.js';
import { defineFault } from './fault.js';

// sendmail's greet_pause: wait before the banner, and refuse a client that talks before
// it (spamware does; RFC 5321 clients wait for the greeting).
export default defineFault({
  name: 'greet-pause',
  summary: 'Wait before the greeting; a client that talks first is refused (554) and disconnected',
  steps: ['CONNECT'],
  settings: {
    ms: z.number().int().min(0).max(600_000).describe('The pause before the greeting, in milliseconds'),
    reply: replySetting.default('554 5.5.0 Error: pre-greeting traffic'),
  },
  async apply(target, { ms, reply }) {
    await target.sleep(ms);
    if (!target.talkedEarly()) return { handled: false, detail: `paused ${ms} ms before the greeting; the client waited` };
    const { code, lines } = parseReply(reply);
    target.reply(code, lines);
    target.close();
    return { handled: true, detail: `the client talked before the greeting: replied ${code} and closed` };
  },
});
