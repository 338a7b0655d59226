// A finished or stopped run, as the Runs view and its comparison show it: plain data, carried to
// the page by the protocol, so this file imports nothing that needs Node.js (reading: runs.ts).

export interface RunSummary {
  /** The output folder (absolute). */
  outputDir: string;
  /** When the run last wrote its state (trainer_state.json), ms since the epoch. */
  updated: number;
  /** training_args.json: the resolved config (paths absolute). Empty when the Trainer wrote the run. */
  args: Record<string, unknown>;
  /** all_results.json, when the run finished. */
  final?: { eval_loss?: number; eval_accuracy?: number; eval_f1?: number; train_loss?: number };
  /** From the model card: "native CPU kernels (OpenBLAS 0.3.21, 2 threads)", "WebGPU on nvidia ...". */
  backend?: string;
  /** Training loss at each logged step. */
  loss: Array<{ step: number; loss: number }>;
  /** Each evaluation. */
  evaluations: Array<{ step: number; epoch?: number; loss?: number; accuracy?: number; f1?: number }>;
  /** trainer_state.json's global_step. */
  steps: number;
}

/** The arguments that describe a run but are not hyperparameters to compare. */
const NOT_COMPARED = new Set(['output_dir', 'overwrite_output_dir', 'resume_from_checkpoint']);

/** The training_args keys whose values differ between the runs, in the first run's key order. */
export function differingArguments(runs: RunSummary[]): string[] {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.args)))].filter((key) => !NOT_COMPARED.has(key));
  return keys.filter((key) => new Set(runs.map((run) => JSON.stringify(run.args[key] ?? null))).size > 1);
}
