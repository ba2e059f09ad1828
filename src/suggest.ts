// "Did you mean": the nearest known word by edit distance, when it is near enough to be a
// typo (weak_dh → weak-dh, expird-cert → expired-cert, greting → greeting), and nothing
// when it is not (no-such-thing suggests nothing).

export function closest(word: string, known: Iterable<string>): string | undefined {
  // No typo is this long, and the distance costs length × length (a request may send a megabyte).
  if (word.length > 64) return undefined;
  const typed = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  // Up to a third of the word may be wrong, and always one character.
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)`, or nothing. */
export function didYouMean(word: string, known: Iterable<string>): string {
  const found = closest(word, known);
  return found === undefined ? '' : ` (did you mean "${found}"?)`;
}

/** Levenshtein distance, where swapping two neighbours counts as one edit (as typos go). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) distance = Math.min(distance, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = distance;
    }
  }
  return rows[a.length]![b.length]!;
}
