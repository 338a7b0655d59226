// Folding worker messages into the run panel's state (RunState, in protocol.ts). Pure, bounded:
// the loss curve is downsampled and the log trimmed, so 100,000 steps keep memory flat.
import type { RunState, WorkerMessage } from './protocol';

export const CURVE_POINTS = 400;
const LOG_LINES = 200;

export function initialRunState(runId: string, title: string, configFile: string, dataset: string): RunState {
  return {
    runId,
    title,
    configFile,
    dataset,
    phase: 'starting',
    lossCurve: [],
    curveStride: 1,
    rows: [],
    checkpoints: [],
    log: [],
    startedAt: Date.now(),
  };
}

/** The state after one message (a new object; the input is not changed). */
export function reduceRunState(state: RunState, message: WorkerMessage): RunState {
  switch (message.type) {
    case 'phase':
      return { ...state, phase: message.phase, phaseDetail: message.detail };
    case 'started': {
      const { type: _type, run_id: _id, ...started } = message;
      return { ...state, started, phase: 'training' };
    }
    case 'download':
      return {
        ...state,
        phase: 'downloading',
        download: { file: message.file, bytes: message.bytes, total: message.total },
      };
    case 'progress': {
      const { type: _type, run_id: _id, ...progress } = message;
      return { ...state, progress, ...appendToCurve(state, message.step, message.loss) };
    }
    case 'evaluation': {
      const { type: _type, run_id: _id, ...row } = message;
      return { ...state, rows: [...state.rows, row] };
    }
    case 'checkpoint':
      return { ...state, checkpoints: [...state.checkpoints, { path: message.path, step: message.step }] };
    case 'log':
      return { ...state, log: [...state.log, { level: message.level, text: message.text }].slice(-LOG_LINES) };
    case 'finished':
      return {
        ...state,
        phase: 'finished',
        final: { metrics: message.metrics, outputDir: message.output_dir, modelCard: message.model_card },
        endedAt: Date.now(),
      };
    case 'cancelled':
      return {
        ...state,
        phase: 'cancelled',
        cancelled: { step: message.step, checkpoint: message.checkpoint },
        endedAt: Date.now(),
      };
    case 'failed':
      return {
        ...state,
        phase: 'failed',
        failed: { message: message.message, hint: message.hint, lastOutput: message.last_output },
        endedAt: state.endedAt ?? Date.now(),
      };
  }
}

/**
 * Adds a point; past 2 x CURVE_POINTS points, neighbours are merged pairwise (their mean) and
 * the stride doubles, so the curve keeps its shape in bounded space.
 */
function appendToCurve(state: RunState, step: number, loss: number): Pick<RunState, 'lossCurve' | 'curveStride'> {
  let { curveStride: stride } = state;
  let curve = state.lossCurve;
  const last = curve[curve.length - 1];
  // Within a stride, a point holds the running mean of its steps.
  if (last && stride > 1 && Math.floor((last.step - 1) / stride) === Math.floor((step - 1) / stride)) {
    const inPoint = ((last.step - 1) % stride) + 1;
    curve = [...curve.slice(0, -1), { step, loss: (last.loss * inPoint + loss) / (inPoint + 1) }];
  } else {
    curve = [...curve, { step, loss }];
  }
  if (curve.length > 2 * CURVE_POINTS) {
    const merged: RunState['lossCurve'] = [];
    for (let i = 0; i < curve.length; i += 2) {
      const a = curve[i];
      const b = curve[i + 1];
      merged.push(b ? { step: b.step, loss: (a.loss + b.loss) / 2 } : a);
    }
    curve = merged;
    stride *= 2;
  }
  return { lossCurve: curve, curveStride: stride };
}

export function isRunning(state: RunState): boolean {
  return state.phase !== 'finished' && state.phase !== 'cancelled' && state.phase !== 'failed';
}
