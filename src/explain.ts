// `broken-mta explain "<log line>"`: from a line a customer's MTA logged to the scenario
// that reproduces it. The catalogue's symptoms are the index: each says, in a client's own
// words, what that client prints. A log line matches a symptom by the words they share,
// rare words counting more (a plain tf-idf), so "dh key too small" outweighs "error".
import type { Scenario } from './scenario/schema.js';

export interface Explanation {
  scenario: string;
  summary: string;
  /** The symptom that matched best, as the scenario's page has it. */
  symptom: { who: string; text: string };
  /** The words of the log line that the symptom has too. */
  shared: string[];
  score: number;
}

/** Words that say nothing about the failure: every log line has them. */
const NOISE = new Set(['the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'at', 'for', 'by', 'is', 'with', 'then', 'from', 'ssl', 'routines', 'error', 'relay']);

function words(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z0-9_]*(?:[.=][a-z0-9_]+)*|\d{3}(?![\d.])|\d\.\d\.\d/g) ?? [])
    // "reason=dh" is also "dh": a line that says it another way still shares the word.
    .flatMap((word) => (word.includes('=') ? [word, ...word.split('=').filter((part) => part.length > 2)] : [word]))
    .filter((word) => !NOISE.has(word) && !/^[0-9a-f]{8,}$/.test(word));
}

export function explain(line: string, scenarios: readonly Scenario[], limit = 3): Explanation[] {
  const documents = scenarios.flatMap((scenario) =>
    scenario.symptoms.map((symptom) => ({ scenario, symptom, words: new Set(words(symptom.text)) })),
  );
  const frequency = new Map<string, number>();
  for (const document of documents) for (const word of document.words) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const asked = [...new Set(words(line))];
  const best = new Map<string, Explanation>();
  for (const { scenario, symptom, words: symptomWords } of documents) {
    const shared = asked.filter((word) => symptomWords.has(word));
    if (!shared.length) continue;
    const score = shared.reduce((sum, word) => sum + Math.log(1 + documents.length / frequency.get(word)!), 0);
    const previous = best.get(scenario.name);
    if (!previous || score > previous.score) {
      best.set(scenario.name, {
        scenario: scenario.name,
        summary: scenario.summary ?? '',
        symptom: { who: 'client' in symptom ? symptom.client : 'server', text: symptom.text },
        // For reading: "verify" is not worth showing beside "verify=fail".
        shared: shared.filter((word) => !shared.some((other) => other !== word && other.split('=').includes(word))),
        score,
      });
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score || a.scenario.localeCompare(b.scenario)).slice(0, limit);
}
