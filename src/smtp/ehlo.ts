// The EHLO reply a scenario gives. smtp-server builds its own from its options; a scenario
// may replace the keywords (`smtp.ehlo`: exactly what a real server said), and CHUNKING is
// added when the scenario takes BDAT. STARTTLS is never offered inside TLS (RFC 3207 §4.2).
import type { Scenario } from '../scenario/schema.js';

export function ehloReply(lines: readonly string[], smtp: Scenario['smtp'], secure: boolean): string[] {
  const [greeting = '', ...defaults] = lines;
  const keywords = (smtp.ehlo ?? defaults).filter((keyword) => !(secure && /^STARTTLS$/i.test(keyword)));
  if (smtp.chunking && !keywords.some((keyword) => /^CHUNKING$/i.test(keyword))) keywords.push('CHUNKING');
  return [greeting, ...keywords];
}

/** The SIZE the EHLO reply names, when a scenario's own keywords give one: what MAIL ... SIZE= is held to. */
export function advertisedSize(smtp: Scenario['smtp']): number | undefined {
  const keyword = smtp.ehlo?.find((line) => /^SIZE\s+\d+$/i.test(line));
  return keyword ? Number(keyword.split(/\s+/)[1]) : undefined;
}
