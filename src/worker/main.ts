// The training worker (child process). Filled in by the trainer.
process.exit(0);
