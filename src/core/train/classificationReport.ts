// classification_report.json: what a run writes besides the Hugging Face files, read back by the
// extension to show an earlier run's results.
import type { ClassMetrics } from './events';

/** Per-class metrics and the confusion matrix of the final evaluation (the Trainer's files lack them). */
export interface ClassificationReport {
  labels: string[];
  f1_average: string;
  per_class: ClassMetrics[];
  confusion_matrix: number[][];
}
