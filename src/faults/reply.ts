import { z } from 'zod';
import { parseReply } from '../smtp/reply.js';
import { replySetting } from '../smtp/reply-setting.js';
import { REPLY_STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

export default defineFault({
  name: 'reply',
  summary: 'Answer the step with a reply of your choosing instead of the normal one',
  steps: REPLY_STEPS,
  settings: {
    reply: replySetting,
    close: z.boolean().optional().describe('Then close the connection (FIN), as a server that will not go on with this client'),
  },
  apply(target, { reply, close }) {
    const { code, lines } = parseReply(reply);
    target.reply(code, lines);
    if (close) target.close();
    return { handled: true, detail: `replied ${code} ${lines.join(' / ')}${close ? ', then closed the connection' : ''}` };
  },
});
