import { parseReply } from '../smtp/reply.js';
import { replySetting } from '../smtp/reply-setting.js';
import { REPLY_STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

export default defineFault({
  name: 'reply',
  summary: 'Answer the step with a reply of your choosing instead of the normal one',
  steps: REPLY_STEPS,
  settings: { reply: replySetting },
  apply(target, { reply }) {
    const { code, lines } = parseReply(reply);
    target.reply(code, lines);
    return { handled: true, detail: `replied ${code} ${lines.join(' / ')}` };
  },
});
