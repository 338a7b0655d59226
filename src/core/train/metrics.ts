// Classification metrics with the meanings of scikit-learn (what the Hugging Face `evaluate`
// "accuracy" and "f1" metrics call): accuracy, F1 averaged weighted / macro / micro / binary,
// per-class precision, recall and F1, and the confusion matrix. A zero denominator gives 0, as
// sklearn's default zero_division does (after its warning).
import type { ClassMetrics } from './events';

export type F1Average = 'weighted' | 'macro' | 'micro' | 'binary';

/** confusion[true][predicted]. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, numLabels: number): number[][] {
  const matrix = Array.from({ length: numLabels }, () => new Array<number>(numLabels).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]][predicted[i]]++;
  return matrix;
}

export function accuracy(matrix: number[][]): number {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, t) =>
    row.forEach((count, p) => {
      total += count;
      if (t === p) correct += count;
    }),
  );
  return total === 0 ? 0 : correct / total;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const harmonic = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

export function perClassMetrics(matrix: number[][], labels: string[]): ClassMetrics[] {
  return labels.map((label, c) => {
    const tp = matrix[c][c];
    const support = matrix[c].reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((a, row) => a + row[c], 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    return { label, precision, recall, f1: harmonic(precision, recall), support };
  });
}

/**
 * F1 averaged as sklearn's f1_score(average=...): `macro` over the labels present in the truth or
 * the predictions, `weighted` by support, `micro` from pooled counts, `binary` for label 1.
 */
export function f1Score(matrix: number[][], average: F1Average): number {
  const numLabels = matrix.length;
  const perClass = perClassMetrics(
    matrix,
    Array.from({ length: numLabels }, (_, i) => String(i)),
  );
  switch (average) {
    case 'binary':
      if (numLabels !== 2) throw new Error(`f1_average binary needs 2 labels, not ${numLabels}`);
      return perClass[1].f1;
    case 'micro': {
      let tp = 0;
      let total = 0;
      matrix.forEach((row, t) =>
        row.forEach((count, p) => {
          total += count;
          if (t === p) tp += count;
        }),
      );
      // With one label per example, pooled precision = pooled recall = accuracy.
      return ratio(tp, total);
    }
    case 'macro': {
      const present = perClass.filter((c, i) => c.support > 0 || matrix.some((row) => row[i] > 0));
      return ratio(
        present.reduce((a, c) => a + c.f1, 0),
        present.length,
      );
    }
    case 'weighted': {
      const support = perClass.reduce((a, c) => a + c.support, 0);
      return ratio(
        perClass.reduce((a, c) => a + c.f1 * c.support, 0),
        support,
      );
    }
  }
}
