// The SMTP half of a captured scenario: banner, EHLO keywords, and a fault for each step the
// server answered unlike a normal one (a refused banner or EHLO, a slow banner).
import type { ScenarioInput } from '../scenario/schema.js';
import { DEFAULT_LIMITS } from '../limits.js';
import type { Reply } from '../smtp/reply-reader.js';
import type { SmtpFindings } from './smtp-dialogue.js';

/** A fault as the scenario file writes it; the schema checks it when the file is made. */
export interface FaultInput {
  fault: string;
  on: string;
  [setting: string]: unknown;
}

export interface SmtpPlan {
  smtp: NonNullable<ScenarioInput['smtp']>;
  faults: FaultInput[];
  defects: string[];
  notes: string[];
}

/** A banner slower than this is a tarpit or a greet pause, and is kept as a delay. */
const SLOW_BANNER_MS = 1000;

export const replyLines = (reply: Reply): string[] => reply.lines.map((line) => `${reply.code}${line ? ` ${line}` : ''}`);
const asSetting = (reply: Reply) => (reply.lines.length === 1 ? replyLines(reply)[0]! : replyLines(reply));

/** The server's own names in its banner and EHLO, to be replaced by {hostname}. */
export function hostNames(smtp: SmtpFindings, host: string): string[] {
  const firstWord = (reply: Reply | undefined) => reply?.lines[0]?.split(/\s+/)[0] ?? '';
  const names = [firstWord(smtp.banner), firstWord(smtp.ehlo), firstWord(smtp.helo), host].filter((name) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(name) && !/^[\d.]+$/.test(name));
  return [...new Set(names)].sort((a, b) => b.length - a.length);
}

export function anonymize(text: string, names: readonly string[]): string {
  return names.reduce((line, name) => line.replace(new RegExp(`(?<![\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'gi'), '{hostname}'), text);
}

export function planSmtp(smtp: SmtpFindings, host: string, keepHostnames: boolean): SmtpPlan {
  const plan: SmtpPlan = { smtp: {}, faults: [], defects: [], notes: [] };
  const names = keepHostnames ? [] : hostNames(smtp, host);
  const banner = smtp.banner;
  if (banner?.code === 220) {
    plan.smtp.greeting = anonymize(`220 ${banner.lines[0] ?? ''}`.trimEnd(), names);
    if (banner.lines.length > 1) plan.notes.push(`the banner had ${banner.lines.length} lines; only the first is served`);
  } else if (banner) {
    plan.faults.push({ fault: 'reply', on: 'CONNECT', reply: asSetting(banner) });
    plan.defects.push(`the banner refuses the session (${banner.code})`);
  }
  if ((smtp.bannerMs ?? 0) > SLOW_BANNER_MS) {
    plan.faults.unshift({ fault: 'delay', on: 'CONNECT', ms: Math.round(smtp.bannerMs! / 100) * 100 });
    plan.defects.push(`the banner took ${smtp.bannerMs} ms`);
  }
  if (smtp.ehlo && smtp.ehlo.code === 250) {
    plan.smtp.ehlo = smtp.capabilities.map((keyword) => anonymize(keyword, names));
    const size = /^SIZE\s+(\d+)$/i.exec(smtp.capabilities.find((keyword) => /^SIZE\s+\d+$/i.test(keyword)) ?? '')?.[1];
    if (size && Number(size) > 0 && Number(size) !== DEFAULT_LIMITS.maxMessageBytes) plan.smtp.size = Number(size);
  } else if (smtp.ehlo) {
    plan.faults.push({ fault: 'reply', on: 'EHLO', reply: asSetting(smtp.ehlo) });
    plan.defects.push(`EHLO refused (${smtp.ehlo.code}), HELO ${smtp.helo?.code === 250 ? 'accepted' : `refused too (${smtp.helo?.code ?? 'no reply'})`}`);
    if (smtp.helo && smtp.helo.code !== 250) plan.faults.push({ fault: 'reply', on: 'HELO', reply: asSetting(smtp.helo) });
  }
  return plan;
}
