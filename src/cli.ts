// distilbert-finetune: the headless CLI over the same core as the extension.
//
//   train CONFIG.yaml [--json] [--device D]     fine-tune as the extension would, with a progress bar
//   evaluate --model DIR --data FILE            metrics of a saved model on a labelled file
//   predict --model DIR|HUB_ID --text T ...     label and probabilities of texts
//   tokenize --model DIR [--max-length N]       JSON lines {"text"} in, {"input_ids","attention_mask"} out
//   export CONFIG.yaml [--out FILE]             the run as a Python script for Hugging Face's Trainer
//   golden DIR [--device D]                     forward pass and 5-step training trace of a golden checkpoint
//   schema                                      the config file's JSON Schema
//
// Exit codes: 0 success, 1 a user error (one line on stderr), 2 an internal error.
import { releaseGpu } from './core/backends/webgpu';
import { isUserError } from './core/errors';
import { COMMANDS, usage } from './cli/commands';

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`distilbert-finetune: unknown command "${name}"\n${usage()}`);
    return 1;
  }
  return command(args);
}

declare const VERSION: string;

/** A user error is one line: what is wrong, where, and what to do. A bug keeps its stack trace. */
function report(error: unknown): void {
  if (isUserError(error)) {
    process.stderr.write(`error: ${oneLine(error.message)}${error.hint ? ` — ${oneLine(error.hint)}` : ''}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(
      `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  }
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');

process.on('unhandledRejection', (error) => {
  report(error);
  process.exit();
});
/**
 * Ends the process once stdout has drained (a live Dawn instance would keep it running), after the
 * GPU device, if any, is released in order.
 */
function exit(code: number): void {
  void releaseGpu().finally(() => process.stdout.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error) => {
  report(error);
  exit(Number(process.exitCode ?? 2));
});
