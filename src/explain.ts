// `broken-mta explain "<log line>"`: from a line a customer's MTA logged to the scenario
// that reproduces it. The catalogue's claims are the index: each quotes, exactly, what a
// client prints or logs. A claim whose exact text is in the line (or that contains the
// whole line) wins outright, the longest text first. Otherwise the line matches by the words
// it shares with a claim, rare words counting more (a plain tf-idf), and a word that a
// third of the scenarios have too ("smtp", "tls", "failed") counts for nothing.
//
// Sender scenarios are in the index too: their claims quote what a *receiving* MTA logs
// (sendmail's `STARTTLS=server, error: accept failed`, Postfix's `improper command
// pipelining after DATA`), so a line from a receiver's log finds the broken sender.
import type { Claim } from './claims/claim.js';
import { textsOf } from './claims/check.js';
import type { ReceiverClaim } from './scenario/sender-claims.js';
import type { Scenario } from './scenario/schema.js';
import type { SenderScenario } from './scenario/sender-schema.js';

/** A server scenario's claim (a client's words), or a sender scenario's (a receiver's). */
export type Matched = { kind: 'server'; claim: Claim } | { kind: 'sender'; claim: ReceiverClaim };

export type Explanation = Matched & {
  scenario: string;
  summary: string;
  text: string;
  /** Whether the text itself is in the line (or the line in it). */
  exact: boolean;
  /** The words of the log line that the text has too. */
  shared: string[];
  score: number;
};

export interface ExplainResult {
  matches: Explanation[];
  /** How many scenarios share the best score: more than 1 and the line does not tell them apart. */
  tied: number;
}

/** Words that say nothing about the failure: every log line of a mail client has them. */
const NOISE = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'at', 'for', 'by', 'is', 'with', 'then', 'from', 'ssl', 'routines', 'error', 'relay', 'smtp', 'esmtp', 'mail', 'server', 'client', 'hello']);

/** A word in more than this share of the scenarios tells none of them apart. */
const COMMON_SHARE = 1 / 3;

/** An exact text shorter than this is too common to decide alone ("552", "Timeout"). */
const MIN_EXACT = 12;

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9_]*(?:[.=][a-z0-9_]+)*|\d{3}(?![\d.])|\d\.\d\.\d/g) ?? [])
    // "reason=dh" is also "dh": a line that says it another way still shares the word.
    .flatMap((word) => (word.includes('=') ? [word, ...word.split('=').filter((part) => part.length > 2)] : [word]))
    .filter((word) => !NOISE.has(word) && !/^[0-9a-f]{8,}$/.test(word));
}

type Entry = Matched & {
  scenario: { name: string; summary?: string | undefined };
  text: string;
  /** A quoted text (prints, logs, server) can match exactly; a note only by its words. */
  quoted: boolean;
  words: Set<string>;
};

function entriesOf(scenarios: readonly Scenario[], senders: readonly SenderScenario[]): Entry[] {
  const entry = (matched: Matched, scenario: Entry['scenario'], text: string, quoted: boolean): Entry => ({ ...matched, scenario, text, quoted, words: new Set(words(text)) });
  const ofServers = scenarios.flatMap((scenario) =>
    scenario.symptoms.flatMap((claim) => [
      ...[...textsOf(claim.prints), ...textsOf(claim.logs), ...textsOf(claim.server)].map((text) => entry({ kind: 'server', claim }, scenario, text, true)),
      ...(claim.note ? [entry({ kind: 'server', claim }, scenario, claim.note, false)] : []),
    ]),
  );
  const ofSenders = senders.flatMap((scenario) =>
    scenario.symptoms.flatMap((claim) => [
      ...[...textsOf(claim.logs), ...textsOf(claim.prints)].map((text) => entry({ kind: 'sender', claim }, scenario, text, true)),
      ...(claim.note ? [entry({ kind: 'sender', claim }, scenario, claim.note, false)] : []),
    ]),
  );
  return [...ofServers, ...ofSenders];
}

function explanation(entry: Entry, exact: boolean, shared: string[], score: number): Explanation {
  const matched: Matched = entry.kind === 'server' ? { kind: 'server', claim: entry.claim } : { kind: 'sender', claim: entry.claim };
  return { ...matched, scenario: entry.scenario.name, summary: entry.scenario.summary ?? '', text: entry.text, exact, shared, score };
}

const normal = (text: string) => text.toLowerCase().replace(/\s+/g, ' ').trim();

function exactMatches(line: string, entries: Entry[]): Explanation[] {
  const asked = normal(line);
  return entries
    .filter(({ text, quoted }) => {
      if (!quoted) return false;
      const said = normal(text);
      return (said.length >= MIN_EXACT && asked.includes(said)) || (asked.length >= MIN_EXACT && said.includes(asked));
    })
    .map((entry) => explanation(entry, true, [], Math.min(normal(entry.text).length, asked.length)));
}

function wordMatches(line: string, entries: Entry[], scenarioCount: number): Explanation[] {
  const byScenario = new Map<string, Set<string>>();
  for (const entry of entries) for (const word of entry.words) byScenario.set(word, (byScenario.get(word) ?? new Set()).add(entry.scenario.name));
  const frequency = new Map<string, number>();
  for (const entry of entries) for (const word of entry.words) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const telling = (word: string) => (byScenario.get(word)?.size ?? 0) <= scenarioCount * COMMON_SHARE;
  const asked = [...new Set(words(line))].filter(telling);
  return entries.flatMap((entry) => {
    const shared = asked.filter((word) => entry.words.has(word));
    if (!shared.length) return [];
    const score = shared.reduce((sum, word) => sum + Math.log(1 + entries.length / frequency.get(word)!), 0);
    // For reading: "verify" is not worth showing beside "verify=fail".
    const shown = shared.filter((word) => !shared.some((other) => other !== word && other.split('=').includes(word)));
    return [explanation(entry, false, shown, score)];
  });
}

function bestPerScenario(matches: Explanation[]): Map<string, Explanation> {
  const best = new Map<string, Explanation>();
  for (const match of matches) {
    const previous = best.get(match.scenario);
    if (!previous || match.score > previous.score) best.set(match.scenario, match);
  }
  return best;
}

/**
 * The best match of each scenario, best first: exact texts before shared words. Among
 * exact texts of the same length, the words the rest of the line shares with the
 * scenario's claims and notes decide ("403" is in handshake-abort's note).
 */
export function explain(line: string, scenarios: readonly Scenario[], limit = 3, senders: readonly SenderScenario[] = []): ExplainResult {
  const entries = entriesOf(scenarios, senders);
  const byWords = bestPerScenario(wordMatches(line, entries, scenarios.length + senders.length));
  const exact = [...bestPerScenario(exactMatches(line, entries)).values()];
  const ranked = exact.length ? exact : [...byWords.values()];
  const second = (match: Explanation) => (exact.length ? (byWords.get(match.scenario)?.score ?? 0) : 0);
  ranked.sort((a, b) => b.score - a.score || second(b) - second(a) || a.scenario.localeCompare(b.scenario));
  const same = (a: Explanation, b: Explanation) => Math.abs(a.score - b.score) < 1e-9 && Math.abs(second(a) - second(b)) < 1e-9;
  const tied = ranked.filter((match) => same(match, ranked[0]!)).length;
  // A tie is shown whole, however many it takes.
  return { matches: ranked.slice(0, Math.max(limit, tied)), tied };
}
