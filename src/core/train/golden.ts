// `golden DIR`: the forward pass and the 5-step training trace of a golden checkpoint, computed
// by this project's model, optimizer and schedule, in the JSON format other tools compare against
// the reference (DIR/cases.json, see test/fixtures/tiny-distilbert/README.md).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { loadModel, disposeModel } from '../model/modelFolder';
import type { EncodedBatch } from '../model/distilbert';
import { HEAD, toCheckpointLayout } from '../model/parameters';
import { AdamW, globalGradNorm } from './optimizer';
import { learningRateAt, type SchedulerType } from './schedule';
import { optimizerStep } from './step';

interface GoldenCases {
  batch: { input_ids: number[][]; attention_mask: number[][]; labels: number[] };
  training: {
    optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
    scheduler: { type: string; num_warmup_steps: number; num_training_steps: number };
    max_grad_norm: number;
    num_steps: number;
  };
}

export interface GoldenOutput {
  forward: {
    logits: number[][];
    loss: number;
    grad_norm: number;
    last_hidden_row0_token0_first8: number[];
    last_hidden_row1_token0_first8: number[];
  };
  training: {
    steps: Array<{ step: number; lr: number; loss: number; grad_norm: number }>;
    final_logits: number[][];
    final_classifier_weight: number[];
  };
}

export async function runGolden(dir: string): Promise<GoldenOutput> {
  let cases: GoldenCases;
  try {
    cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8')) as GoldenCases;
  } catch (error) {
    throw new UserError(`${dir}: cannot read cases.json (${(error as Error).message})`);
  }
  const rows = cases.batch.input_ids.length;
  const columns = cases.batch.input_ids[0].length;
  const batch: EncodedBatch = {
    inputIds: Int32Array.from(cases.batch.input_ids.flat()),
    attentionMask: Int32Array.from(cases.batch.attention_mask.flat()),
    batchSize: rows,
    seqLength: columns,
  };
  const labels = Int32Array.from(cases.batch.labels);
  const { model, specs } = loadModel(dir, { seed: 0 });
  const numLabels = Object.keys(model.config.id2label).length;
  const toRows = (flat: ArrayLike<number>) =>
    Array.from({ length: rows }, (_, r) => Array.from(flat).slice(r * numLabels, (r + 1) * numLabels));

  // Forward pass, loss and gradient norm (evaluation mode; the golden model has no dropout).
  const { logits, pooled } = model.forward(batch);
  const hidden = (await pooled.array()) as number[][];
  const forwardLogits = toRows(await logits.data());
  logits.dispose();
  pooled.dispose();
  const computed = model.lossAndGradients(batch, labels, undefined);
  const { gradients } = computed;
  const loss = (await computed.loss.data())[0];
  computed.loss.dispose();
  const gradNorm = await globalGradNorm(gradients);
  for (const g of gradients.values()) g.dispose();

  // The training trace: HF Trainer steps with AdamW and the scheduler of the cases.
  const { optimizer: o, scheduler: s, max_grad_norm: maxGradNorm, num_steps: numSteps } = cases.training;
  const optimizer = new AdamW(specs, {
    beta1: o.betas[0],
    beta2: o.betas[1],
    epsilon: o.eps,
    weightDecay: o.weight_decay,
  });
  const schedule = {
    type: schedulerType(s.type),
    learningRate: o.lr,
    warmupSteps: s.num_warmup_steps,
    totalSteps: s.num_training_steps,
  };
  const steps: GoldenOutput['training']['steps'] = [];
  for (let step = 0; step < numSteps; step++) {
    const lr = learningRateAt(schedule, step);
    const result = await (
      await optimizerStep(model, optimizer, [{ batch, labels }], lr, maxGradNorm, undefined)
    ).read();
    steps.push({ step, lr, loss: result.loss, grad_norm: result.gradNorm });
  }
  const finalLogits = model.logits(batch);
  const classifierSpec = specs.find((spec) => spec.name === HEAD.classifier)!;
  const output: GoldenOutput = {
    forward: {
      logits: forwardLogits,
      loss,
      grad_norm: gradNorm,
      last_hidden_row0_token0_first8: hidden[0].slice(0, 8),
      last_hidden_row1_token0_first8: hidden[1].slice(0, 8),
    },
    training: {
      steps,
      final_logits: toRows(await finalLogits.data()),
      final_classifier_weight: Array.from(
        toCheckpointLayout(classifierSpec, (await model.params.get(HEAD.classifier)!.data()) as Float32Array),
      ),
    },
  };
  finalLogits.dispose();
  optimizer.dispose();
  disposeModel(model);
  return output;
}

/** transformers' scheduler factory names -> lr_scheduler_type. */
const SCHEDULERS: Record<string, SchedulerType> = {
  get_linear_schedule_with_warmup: 'linear',
  get_cosine_schedule_with_warmup: 'cosine',
  get_constant_schedule: 'constant',
  get_constant_schedule_with_warmup: 'constant_with_warmup',
};

function schedulerType(name: string): SchedulerType {
  const type =
    SCHEDULERS[name] ??
    (Object.values(SCHEDULERS).includes(name as SchedulerType) ? (name as SchedulerType) : undefined);
  if (!type) throw new UserError(`cases.json: scheduler ${name} is not supported`);
  return type;
}
