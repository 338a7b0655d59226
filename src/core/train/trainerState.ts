// trainer_state.json: the Trainer's `TrainerState`, with `log_history` in its field names, so
// tools that read Hugging Face runs (and people who know them) read ours.

/** One entry of log_history: a training log, an evaluation, or the final summary. */
export interface LogEntry {
  step: number;
  epoch?: number;
  loss?: number;
  grad_norm?: number;
  learning_rate?: number;
  eval_loss?: number;
  eval_accuracy?: number;
  eval_f1?: number;
  eval_runtime?: number;
  eval_samples_per_second?: number;
  eval_steps_per_second?: number;
  train_runtime?: number;
  train_samples_per_second?: number;
  train_steps_per_second?: number;
  train_loss?: number;
  total_flos?: number;
}

export interface TrainerStateJson {
  best_metric: null;
  best_model_checkpoint: null;
  epoch: number;
  eval_steps: number;
  global_step: number;
  is_hyper_param_search: false;
  is_local_process_zero: true;
  is_world_process_zero: true;
  log_history: LogEntry[];
  logging_steps: number;
  max_steps: number;
  num_input_tokens_seen: number;
  num_train_epochs: number;
  save_steps: number;
  stateful_callbacks: Record<string, unknown>;
  total_flos: number;
  train_batch_size: number;
  trial_name: null;
  trial_params: null;
}

export function trainerStateJson(state: {
  epoch: number;
  globalStep: number;
  maxSteps: number;
  numTrainEpochs: number;
  history: LogEntry[];
  loggingSteps: number;
  evalSteps: number;
  saveSteps: number;
  trainBatchSize: number;
  totalFlos: number;
  tokensSeen: number;
  stopped: boolean;
}): TrainerStateJson {
  return {
    best_metric: null,
    best_model_checkpoint: null,
    epoch: state.epoch,
    eval_steps: state.evalSteps,
    global_step: state.globalStep,
    is_hyper_param_search: false,
    is_local_process_zero: true,
    is_world_process_zero: true,
    log_history: state.history,
    logging_steps: state.loggingSteps,
    max_steps: state.maxSteps,
    num_input_tokens_seen: state.tokensSeen,
    num_train_epochs: state.numTrainEpochs,
    save_steps: state.saveSteps,
    stateful_callbacks: {
      TrainerControl: {
        args: {
          should_epoch_stop: false,
          should_evaluate: false,
          should_log: false,
          should_save: true,
          should_training_stop: state.stopped,
        },
        attributes: {},
      },
    },
    total_flos: state.totalFlos,
    train_batch_size: state.trainBatchSize,
    trial_name: null,
    trial_params: null,
  };
}
