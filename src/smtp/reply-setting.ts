// How a scenario file writes a reply, as a zod schema: beside reply.ts, which checks,
// parses and formats replies and loads no library, so that printing and serving replies
// never loads zod.
import { z } from 'zod';
import { replyProblem } from './reply.js';

/** The scenario-file setting for a reply; checked wherever it is used. */
export const replySetting = z
  .union([z.string(), z.array(z.string()).min(1)])
  .superRefine((value, ctx) => {
    const problem = replyProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('An SMTP reply: "CODE text", or a list of lines that all start with the same code');
