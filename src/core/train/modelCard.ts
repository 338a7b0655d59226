// README.md of the output folder: the model card the Hugging Face Trainer writes
// (`TrainingSummary.to_model_card`), in the same structure, order and number formatting, with the
// facts the Trainer leaves as "More information needed" filled in where this run knows them.
import type { TrainingConfig } from '../config/schema';
import type { LogEntry } from './trainerState';

/** Python's repr() of a float: 2e-05, 1e-08, 0.9, 2.0. */
export function pythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = x.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16)
    return `${mantissa}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  const fixed = String(x);
  return fixed.includes('.') ? fixed : `${fixed}.0`;
}

/** A number as Python would print it: whole numbers of integer-typed fields without ".0". */
export function pythonNumber(x: number, integer: boolean): string {
  return integer && Number.isInteger(x) ? String(x) : pythonFloat(x);
}

/** The Trainer's `_maybe_round`: floats with more than 4 decimals are printed with 4. */
export function maybeRound(value: number | string, integer = false, decimals = 4): string {
  if (typeof value === 'string') return value;
  const text = pythonNumber(value, integer);
  const fraction = text.split('.')[1];
  return !integer && fraction !== undefined && fraction.length > decimals ? value.toFixed(decimals) : text;
}

export type TableRow = Array<[string, number | string, boolean?]>;

/** The Trainer's `make_markdown_table`: columns padded to their widest cell, centered separators. */
export function markdownTable(rows: TableRow[]): string {
  if (rows.length === 0) return '';
  const headers = rows[0].map(([name]) => name);
  const widths = headers.map((h) => h.length);
  const cells = rows.map((row) => row.map(([, value, integer]) => maybeRound(value, integer ?? false)));
  for (const row of cells) row.forEach((cell, i) => (widths[i] = Math.max(widths[i], cell.length)));
  const line = (values: string[]) =>
    `${values.map((v, i) => `| ${v}${' '.repeat(widths[i] - v.length + 1)}`).join('')}|\n`;
  return line(headers) + `${widths.map((w) => `|:${'-'.repeat(w)}:`).join('')}|\n` + cells.map(line).join('');
}

/**
 * The Trainer's `parse_log_history`: one row per evaluation with the latest logged training loss
 * ("No log" before the first), and the last evaluation's metrics without the `eval_` prefix.
 */
export function parseLogHistory(history: LogEntry[]): { rows: TableRow[]; evalResults: Array<[string, number]> } {
  const rows: TableRow[] = [];
  let trainingLoss: number | string = 'No log';
  // Rows come from the logs before the training summary (the entry with train_runtime).
  const summary = history.findIndex((log) => log.train_runtime !== undefined);
  for (const log of summary >= 0 ? history.slice(0, summary) : history) {
    if (log.loss !== undefined) trainingLoss = log.loss;
    else if (log.eval_loss !== undefined) {
      const row: TableRow = [
        ['Training Loss', trainingLoss],
        ['Epoch', log.epoch ?? 0],
        ['Step', log.step, true],
        ['Validation Loss', log.eval_loss],
      ];
      for (const [key, value] of Object.entries(log)) {
        if (
          !key.startsWith('eval_') ||
          key === 'eval_loss' ||
          /runtime|per_second|jit_compilation/.test(key) ||
          typeof value !== 'number'
        )
          continue;
        row.push([metricName(key), value]);
      }
      rows.push(row);
    }
  }
  // The evaluation's metrics in the order `evaluate()` returns them: the loss, then compute_metrics'.
  const lastEval = [...history].reverse().find((log) => log.eval_loss !== undefined);
  const evalResults: Array<[string, number]> = lastEval
    ? [
        ['Loss', lastEval.eval_loss!],
        ...Object.entries(lastEval)
          .filter(
            ([k, v]) =>
              k.startsWith('eval_') &&
              k !== 'eval_loss' &&
              !/runtime|per_second|jit_compilation/.test(k) &&
              typeof v === 'number',
          )
          .map(([k, v]) => [metricName(k), v as number] as [string, number]),
      ]
    : [];
  return { rows, evalResults };
}

/** eval_accuracy -> Accuracy, eval_f1 -> F1, eval_loss -> Loss (capitalized words of the key). */
function metricName(key: string): string {
  return key
    .split('_')
    .slice(1)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join(' ');
}

export interface ModelCardFacts {
  config: TrainingConfig;
  /** Hub id or folder the run started from; undefined when trained from scratch. */
  finetunedFrom?: string;
  finetunedFromIsHubId: boolean;
  datasetName: string;
  history: LogEntry[];
  labels: string[];
  numTrainExamples: number;
  numEvalExamples: number;
  textColumn: string;
  labelColumn: string;
  framework: { extension: string; tfjs: string; backend: string; node: string };
  license?: string;
}

export function modelCard(facts: ModelCardFacts): string {
  const { config: c } = facts;
  const modelName = c.output_dir.split(/[\\/]/).filter(Boolean).pop() ?? 'model';
  const { rows, evalResults } = parseLogHistory(facts.history);
  const metadata = [
    'library_name: transformers',
    ...(facts.license ? [`license: ${facts.license}`] : []),
    ...(facts.finetunedFrom && facts.finetunedFromIsHubId ? [`base_model: ${facts.finetunedFrom}`] : []),
    'tags:',
    '- generated_from_trainer',
    'metrics:',
    '- accuracy',
    '- f1',
    'model-index:',
    `- name: ${modelName}`,
    '  results: []',
  ];
  let card = `---\n${metadata.join('\n')}\n---\n`;
  card +=
    '\n<!-- This model card has been generated automatically according to the information the Trainer had access to. You\nshould probably proofread and complete it, then remove this comment. -->\n\n';
  card += `# ${modelName}\n\n`;
  if (!facts.finetunedFrom) card += 'This model was trained from scratch on ';
  else if (facts.finetunedFromIsHubId)
    card += `This model is a fine-tuned version of [${facts.finetunedFrom}](https://huggingface.co/${facts.finetunedFrom}) on `;
  else card += `This model is a fine-tuned version of ${facts.finetunedFrom} on `;
  card += `the ${facts.datasetName} dataset.`;
  if (evalResults.length > 0) {
    card += '\nIt achieves the following results on the evaluation set:\n';
    card += evalResults.map(([name, value]) => `- ${name}: ${maybeRound(value)}`).join('\n');
  }
  card += '\n';
  card += `\n## Model description\n\nA DistilBERT sequence classifier (\`DistilBertForSequenceClassification\`) with ${facts.labels.length} labels: ${facts.labels.map((l) => `\`${l}\``).join(', ')}. It loads with \`AutoModelForSequenceClassification.from_pretrained\`.\n`;
  card += '\n## Intended uses & limitations\n\nMore information needed\n';
  card += `\n## Training and evaluation data\n\nTrained on ${facts.numTrainExamples} examples of ${facts.datasetName} (text column \`${facts.textColumn}\`, label column \`${facts.labelColumn}\`), evaluated on ${facts.numEvalExamples} examples ${c.validation_file ? `of ${c.validation_file.split(/[\\/]/).pop()}` : `held out from it (validation_split ${pythonFloat(c.validation_split)}, stratified, seed ${c.seed})`}.\n`;
  card += '\n## Training procedure\n';
  card += '\n### Training hyperparameters\n';
  card += '\nThe following hyperparameters were used during training:\n';
  card += hyperparameters(c)
    .map(([name, value]) => `- ${name}: ${value}`)
    .join('\n');
  card += '\n';
  if (rows.length > 0) {
    card += '\n### Training results\n\n';
    card += markdownTable(rows);
    card += '\n';
  }
  card += '\n### Framework versions\n\n';
  card += `- DistilBERT Fine-Tuner ${facts.framework.extension}\n`;
  card += `- TensorFlow.js ${facts.framework.tfjs} (backend: ${facts.framework.backend})\n`;
  card += `- Node.js ${facts.framework.node}\n`;
  return card;
}

/** The backend a card of ours names under Framework versions (the line written above), if any. */
export function backendOfModelCard(card: string): string | undefined {
  return /^- TensorFlow\.js \S+ \(backend: (.*)\)$/m.exec(card)?.[1];
}

/** The Trainer's `extract_hyperparameters_from_trainer`, line for line and in its order. */
export function hyperparameters(c: TrainingConfig): Array<[string, string]> {
  const lines: Array<[string, string]> = [
    ['learning_rate', pythonFloat(c.learning_rate)],
    ['train_batch_size', String(c.per_device_train_batch_size)],
    ['eval_batch_size', String(c.per_device_eval_batch_size)],
    ['seed', String(c.seed)],
  ];
  if (c.gradient_accumulation_steps > 1) {
    lines.push(['gradient_accumulation_steps', String(c.gradient_accumulation_steps)]);
    lines.push(['total_train_batch_size', String(c.per_device_train_batch_size * c.gradient_accumulation_steps)]);
  }
  // The reference card's wording (Transformers 4.13). Newer cards name the PyTorch optimizer
  // (`adamw_torch`), which did not run here; the numbers are the same.
  lines.push([
    'optimizer',
    `Adam with betas=(${pythonFloat(c.adam_beta1)},${pythonFloat(c.adam_beta2)}) and epsilon=${pythonFloat(c.adam_epsilon)}`,
  ]);
  lines.push(['lr_scheduler_type', c.lr_scheduler_type]);
  if (c.warmup_ratio !== 0) lines.push(['lr_scheduler_warmup_ratio', pythonFloat(c.warmup_ratio)]);
  if (c.warmup_steps !== 0) lines.push(['lr_scheduler_warmup_steps', String(c.warmup_steps)]);
  if (c.max_steps !== -1) lines.push(['training_steps', String(c.max_steps)]);
  else lines.push(['num_epochs', pythonNumber(c.num_train_epochs, true)]);
  return lines;
}
