// How the page writes numbers.

/** The Trainer's table precision: four decimals; "No log" where there is no value. */
export const four = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'No log' : x.toFixed(4);

/** Epochs as the Trainer's table shows them: 1.0, 2.0, 1.5. */
export const epoch = (x: number) => (Number.isInteger(x) ? x.toFixed(1) : String(Math.round(x * 100) / 100));

export const rate = (lr: number) => lr.toExponential(2).replace('e-', 'e-').replace(/e\+?/, 'e');

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
