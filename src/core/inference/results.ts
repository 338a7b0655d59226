// What the model worker answers, as plain data: the protocol (src/run/protocol.ts) carries these
// to the extension and the page, so this file imports nothing that needs Node.js.
import type { FinalMetrics } from '../train/events';

export interface Classification {
  text: string;
  label: string;
  /** The predicted label's probability. */
  score: number;
  /** Every class's probability, in the model's label order. */
  probabilities: Record<string, number>;
}

export interface FileEvaluation {
  metrics: FinalMetrics;
  runtime: number;
  examples: number;
  columns: { text: string; label: string };
  /** What was guessed (columns) and what was skipped, one line each. */
  notes: string[];
  /** What the file shares with the model's training data, when its output folder records that. */
  trainingOverlap?: { sameFile: boolean; texts: number };
  /** Set when the file is the model's training file or shares texts with its training split. */
  warning?: string;
}

export interface PredictFileResult {
  output: string;
  rows: number;
  textColumn: string;
  /** The names of the two added columns. */
  columns: { label: string; score: string };
}
