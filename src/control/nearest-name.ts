/**
 * "Did you mean …?" for a name that matches nothing: the candidate fewest
 * edits away (an edit inserts, deletes or changes one character, or swaps two
 * neighbours), if it is close enough to be a typo rather than another word.
 */

/** Edits from `a` to `b` (optimal string alignment distance). */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: edits from a's first i characters to b's first j.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i]!;
    const above = rows[i - 1]!;
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(above[j]! + 1, row[j - 1]! + 1, above[j - 1]! + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, rows[i - 2]![j - 2]! + 1);
    }
  }
  return rows[a.length]![b.length]!;
}

/** The candidate nearest to `word`, when at most a third of its characters (at least one) differ; else undefined. */
export function nearestName(word: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { name: string; edits: number } | undefined;
  for (const name of candidates) {
    const edits = editDistance(word.toLowerCase(), name.toLowerCase());
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
}

/** "; did you mean guest?" to end a message with, or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const nearest = nearestName(word, candidates);
  return nearest === undefined ? '' : `; did you mean ${nearest}?`;
}
