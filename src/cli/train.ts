// `train CONFIG.yaml [--json] [--verbose] [--device D]`: the same run as the extension's, in a terminal.
// Progress goes to stderr (a bar on a terminal, a line per ~5% otherwise); at the end the results
// table is printed as in the model card. `--json` prints the protocol events as JSON lines instead.
// Ctrl+C stops at the next step and writes a checkpoint (a second Ctrl+C exits at once).
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { loadConfigFile } from '../core/config/environment';
import { UserError } from '../core/errors';
import { markdownTable, maybeRound, parseLogHistory } from '../core/train/modelCard';
import { runTraining } from '../core/train/runTraining';
import type { RunEvent } from '../core/train/events';
import { DEVICE_OPTION, deviceOf, parse } from './args';
import { progressLine } from './progress';

declare const VERSION: string;

export async function trainCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    options: {
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      ...DEVICE_OPTION,
      'native-modules': { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length !== 1)
    throw new UserError('train needs one config file: distilbert-finetune train CONFIG.finetune.yaml');
  const { config, warnings } = loadConfigFile(positionals[0]);
  if (values.device) config.device = deviceOf(values.device);
  const runId = randomUUID();
  const json = values.json === true;
  const out = (text: string) => process.stderr.write(text);
  for (const warning of warnings) out(`warning: ${warning}\n`);

  let cancelRequested = false;
  const onSigint = () => {
    if (cancelRequested) process.exit(130);
    cancelRequested = true;
    out('\nstopping after this step and writing a checkpoint (Ctrl+C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint); // `kill`, a closing terminal session: the same clean stop

  const interactive = !json && process.stderr.isTTY === true;
  let lastPrinted = -1;
  let totalSteps = 0;
  const emit = (event: RunEvent) => {
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...event, run_id: runId })}\n`);
      return;
    }
    switch (event.type) {
      case 'started':
        totalSteps = event.total_steps;
        out(
          `training ${event.model} (${event.model_source}) on ${event.device}: ${event.num_train_examples} training / ${event.num_eval_examples} evaluation examples, ${event.total_steps} steps\n`,
        );
        break;
      case 'log':
        out(`${event.level === 'info' ? '' : `${event.level}: `}${event.text}\n`);
        break;
      case 'download':
        if (interactive)
          out(`\rdownloading ${event.file}: ${(event.bytes / 1e6).toFixed(1)} of ${(event.total / 1e6).toFixed(1)} MB`);
        if (event.bytes === event.total)
          out(`${interactive ? '\r' : ''}downloaded ${event.file} (${(event.total / 1e6).toFixed(1)} MB)\n`);
        break;
      case 'progress': {
        const line = progressLine(event, interactive ? Math.max(10, (process.stderr.columns ?? 100) - 80) : 20);
        if (interactive) out(`\r${line}`);
        else if (Math.floor((event.step / totalSteps) * 20) > lastPrinted || event.step === totalSteps) {
          lastPrinted = Math.floor((event.step / totalSteps) * 20);
          out(`${line}\n`);
        }
        break;
      }
      case 'evaluation':
        out(
          `${interactive ? '\n' : ''}evaluation at step ${event.step} (epoch ${maybeRound(event.epoch)}): loss ${maybeRound(event.validation_loss)}, accuracy ${maybeRound(event.accuracy)}, F1 ${maybeRound(event.f1)}\n`,
        );
        break;
      case 'checkpoint':
        out(`${interactive ? '\n' : ''}checkpoint: ${event.path}\n`);
        break;
      case 'cancelled':
        out(
          // The value to paste into the config: paths there resolve against the config's folder.
          `cancelled at step ${event.step}; resume with resume_from_checkpoint: ${event.checkpoint ? path.relative(path.dirname(path.resolve(positionals[0])), event.checkpoint) : 'true'}\n`,
        );
        break;
      case 'finished':
        break;
      case 'phase':
      case 'failed':
        break;
    }
  };

  try {
    const outcome = await runTraining(config, {
      emit,
      isCancelled: () => cancelRequested,
      extensionVersion: VERSION,
      nativeModulesPath: values['native-modules'],
      verbose: values.verbose === true,
    });
    if (!json && outcome.status === 'finished') {
      const { rows } = parseLogHistory(outcome.history);
      const m = outcome.finalMetrics!;
      process.stdout.write(`\n${rows.length ? markdownTable(rows) : '(no evaluation during training)\n'}`);
      process.stdout.write(
        `\nfinal metrics (${m.labels.length} labels, F1 ${m.f1_average}): loss ${maybeRound(m.eval_loss)}, accuracy ${maybeRound(m.eval_accuracy)}, F1 ${maybeRound(m.eval_f1)}\n`,
      );
      for (const c of m.per_class)
        process.stdout.write(
          `  ${c.label}: precision ${c.precision.toFixed(4)}, recall ${c.recall.toFixed(4)}, F1 ${c.f1.toFixed(4)}, support ${c.support}\n`,
        );
      process.stdout.write(`model, tokenizer and model card: ${config.output_dir}\n`);
    }
    return outcome.status === 'finished' ? 0 : 130;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
