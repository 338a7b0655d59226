// "Did you mean": candidates close to a misspelled word, nearest first.

/** Levenshtein distance between two strings (case-insensitive). */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/**
 * Candidates within a third of the word's length in edits (at least 2), or that contain the word
 * (`lr` does not match, `batch_size` finds `per_device_train_batch_size`), nearest first.
 */
export function closestMatches(word: string, candidates: readonly string[], limit = 3): string[] {
  const budget = Math.max(2, Math.floor(word.length / 3));
  const lower = word.toLowerCase();
  return candidates
    .map((candidate) => ({ candidate, distance: editDistance(word, candidate) }))
    .filter(
      ({ candidate, distance }) => distance <= budget || (lower.length >= 4 && candidate.toLowerCase().includes(lower)),
    )
    .sort((x, y) => x.distance - y.distance || x.candidate.localeCompare(y.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}
