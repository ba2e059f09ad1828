import { z } from 'zod';
import { formatReply, replyLines } from '../smtp/reply.js';
import { REPLY_STEPS } from '../smtp/steps.js';
import { defineFault } from './fault.js';

// A reply written byte for byte as the scenario gives it, so that a client's reply parser
// meets what RFC 5321 §4.2's grammar rules out: lines whose codes disagree, no space or
// hyphen after the code, codes of four digits, letters or 600, lines past §4.5.3.1.5's 512
// bytes, bare LF endings (§2.3.8), a reply nobody asked for or one too many (§4.2: every
// command, exactly one reply), and replies cut into TCP segments with pauses between them.
// smtp-server still runs the step: its state moves on as if the normal reply had gone out.
const ENDINGS = { crlf: '\r\n', lf: '\n', cr: '\r', none: '' } as const;

export default defineFault({
  name: 'raw',
  summary: "Write the step's reply byte for byte as given, grammar or not: other lines, another line ending, twice, in pieces with pauses",
  steps: REPLY_STEPS,
  settings: {
    lines: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('The lines written, code and all, without line endings and unchecked ({hostname} is the server name); the normal reply when not given'),
    place: z
      .enum(['instead', 'before', 'after'])
      .default('instead')
      .describe('instead: in place of the normal reply; before, after: the normal reply goes out too, after or before these lines'),
    lineEnding: z.enum(['crlf', 'lf', 'cr', 'none']).default('crlf').describe('What ends each line written: crlf as RFC 5321 has it, or a bare lf or cr, or nothing'),
    padTo: z.number().int().min(1).max(1_000_000).optional().describe('Pad the last line with "x" to this many bytes, its line ending not counted'),
    segmentBytes: z.number().int().min(1).max(65_536).optional().describe('Write in pieces of this many bytes, each its own TCP segment'),
    pauseMs: z.number().int().min(0).max(60_000).default(0).describe('The pause before each piece after the first, in milliseconds'),
  },
  apply(target, settings) {
    const { place, lineEnding, padTo, segmentBytes, pauseMs } = settings;
    const given = settings.lines?.map((line) => line.replaceAll('{hostname}', target.hostname));
    const end = ENDINGS[lineEnding];
    target.shapeNextReply({
      bytes(normal) {
        const lines = [...(given ?? replyLines(normal.code, normal.lines))];
        if (padTo !== undefined) lines[lines.length - 1] = lines.at(-1)!.padEnd(padTo, 'x');
        const written = lines.map((line) => line + end).join('');
        const own = formatReply(normal.code, normal.lines);
        return Buffer.from(place === 'instead' ? written : place === 'before' ? written + own : own + written, 'latin1');
      },
      ...(segmentBytes !== undefined ? { segmentBytes, pauseMs } : {}),
    });
    return { handled: false, detail: describe(settings, given) };
  },
});

function describe(settings: { place: string; lineEnding: string; padTo?: number | undefined; segmentBytes?: number | undefined; pauseMs: number }, lines: string[] | undefined): string {
  const what = lines ? JSON.stringify(lines) : 'the normal reply';
  const parts = [settings.place === 'instead' ? `the reply goes out as ${what}` : `${what} goes out ${settings.place} the normal reply`];
  if (settings.lineEnding !== 'crlf') parts.push(`lines ending in ${settings.lineEnding === 'none' ? 'nothing' : `a bare ${settings.lineEnding.toUpperCase()}`}`);
  if (settings.padTo !== undefined) parts.push(`its last line padded to ${settings.padTo} bytes`);
  if (settings.segmentBytes !== undefined) parts.push(`in pieces of ${settings.segmentBytes} byte${settings.segmentBytes > 1 ? 's' : ''}, ${settings.pauseMs} ms apart`);
  return parts.join(', ');
}
