// The run panel's page (and the Runs view's comparison, compare.ts). It renders the RunState snapshots the extension host sends (and keeps the
// last one with setState, so VS Code can restore the panel after a window reload). It repaints at
// most ~10 times a second, and each section only when its part of the state changed.
import type { HostToPage, PageMessage, RunState } from '../src/run/protocol';
import { lossChart } from './chart';
import { comparisonPage } from './compare';
import { duration, epoch, four, megabytes, rate } from './format';
import { button, divider, grid, h, spinner, tag } from './ui';

interface VsCodeApi {
  postMessage(message: PageMessage): void;
  getState(): RunState | undefined;
  setState(state: RunState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const MIN_REPAINT_MS = 100;

let state: RunState | undefined = vscode.getState();
let paintScheduled = false;
let lastPaint = 0;
const sections = new Map<string, { key: string; element: HTMLElement }>();

window.addEventListener('message', (event: MessageEvent<HostToPage>) => {
  if (event.data?.type === 'comparison') {
    app.replaceChildren(comparisonPage(event.data.comparison));
    return;
  }
  if (event.data?.type !== 'state') return;
  state = event.data.state;
  vscode.setState(state);
  schedulePaint();
});
vscode.postMessage({ type: 'ready' });
if (state) schedulePaint();

function schedulePaint(): void {
  if (paintScheduled) return;
  paintScheduled = true;
  const wait = Math.max(0, MIN_REPAINT_MS - (Date.now() - lastPaint));
  setTimeout(
    () =>
      requestAnimationFrame(() => {
        paintScheduled = false;
        lastPaint = Date.now();
        if (state) paint(state);
      }),
    wait,
  );
}

const running = (s: RunState) => !['finished', 'cancelled', 'failed'].includes(s.phase);

/** Renders each section whose key changed, in a fixed order. */
function paint(s: RunState): void {
  const order: Array<[string, string, () => HTMLElement | undefined]> = [
    [
      'header',
      JSON.stringify([s.title, s.phase, s.model, s.started?.device, s.started?.model_source, s.started?.from_scratch]),
      () => header(s),
    ],
    [
      'status',
      JSON.stringify([s.phase, s.phaseDetail, s.download, s.progress, s.cancelled, s.endedAt]),
      () => status(s),
    ],
    ['actions', JSON.stringify([running(s), !!s.final, !!s.failed]), () => actions(s)],
    ['failure', JSON.stringify(s.failed ?? null), () => failure(s)],
    [
      'chart',
      JSON.stringify([s.lossCurve.length, s.lossCurve[s.lossCurve.length - 1], s.rows.length, smoothing]),
      () => chart(s),
    ],
    ['table', String(s.rows.length), () => table(s)],
    ['final', JSON.stringify(s.final ? [s.final.outputDir, s.final.metrics.eval_accuracy] : null), () => final(s)],
    ['log', JSON.stringify([s.log.length, s.log[s.log.length - 1]]), () => logTail(s)],
  ];
  let previous: HTMLElement | undefined;
  for (const [name, key, render] of order) {
    let section = sections.get(name);
    if (!section || section.key !== key) {
      const element = h('section', { class: name, 'data-section': name }, render() ?? '');
      if (section) section.element.replaceWith(element);
      else if (previous) previous.after(element);
      else app.prepend(element);
      section = { key, element };
      sections.set(name, section);
    }
    previous = section.element;
  }
}

const PHASE_TEXT: Record<RunState['phase'], string> = {
  starting: 'Starting',
  reading: 'Reading the dataset',
  resolving: 'Finding the model',
  downloading: 'Downloading the model',
  tokenizing: 'Tokenizing the dataset',
  training: 'Training',
  evaluating: 'Evaluating',
  saving: 'Saving',
  finished: 'Finished',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

function header(s: RunState): HTMLElement {
  const started = s.started;
  const evaluation = s.evaluation;
  return h(
    'div',
    {},
    h('h1', {}, s.title, ' ', tag(evaluation ? 'Evaluated' : PHASE_TEXT[s.phase])),
    evaluation &&
      h(
        'p',
        { class: 'facts' },
        `${s.model} · ${evaluation.backend} · ${evaluation.examples} labelled examples of ${evaluation.file}`,
      ),
    evaluation?.warning &&
      h('p', { class: 'banner', role: 'status' }, h('strong', {}, 'Not held out: '), evaluation.warning),
    started &&
      h(
        'p',
        { class: 'facts' },
        `${s.model ?? started.model} (${started.model_source}) · ${started.device} · ${started.num_train_examples} training / ${started.num_eval_examples} evaluation examples · labels: ${started.labels.join(', ')}`,
      ),
    started?.from_scratch &&
      h(
        'p',
        { class: 'banner', role: 'status' },
        h('strong', {}, 'Trained from scratch — no pretrained weights. '),
        `${s.model ?? started.model} has a config but no model.safetensors, so the model starts from random weights: expect results far below a pretrained model's. Point model: at a pretrained model (a hub id or a folder with weights) to fine-tune instead.`,
      ),
  );
}

function status(s: RunState): HTMLElement {
  const box = h('div', {});
  if (s.phase === 'downloading' && s.download) {
    const { file, bytes, total } = s.download;
    box.append(
      h('p', { class: 'phase' }, `Downloading ${file}: ${megabytes(bytes)} of ${megabytes(total)}`),
      bar(bytes / Math.max(1, total), `Downloading ${file}`),
    );
    return box;
  }
  const p = s.progress;
  if (!p) {
    box.append(
      running(s)
        ? spinner(`${PHASE_TEXT[s.phase]}${s.phaseDetail ? ` (${s.phaseDetail})` : ''}…`)
        : h('p', { class: 'phase' }, PHASE_TEXT[s.phase]),
    );
    return box;
  }
  const busy =
    s.phase === 'evaluating' || s.phase === 'saving'
      ? ` — ${PHASE_TEXT[s.phase].toLowerCase()}${s.phaseDetail ? ` ${s.phaseDetail}` : ''}…`
      : '';
  box.append(
    h(
      'p',
      { class: 'phase' },
      `Step ${p.step} / ${p.total_steps} · epoch ${p.epoch.toFixed(2)} / ${s.started?.num_epochs ?? '?'}${busy}`,
    ),
    bar(p.step / p.total_steps, 'Training progress'),
    h(
      'dl',
      { class: 'stats' },
      ...stat('Loss', p.loss.toFixed(4)),
      ...stat('Learning rate', rate(p.learning_rate)),
      ...stat('Samples / s', p.samples_per_second.toFixed(1)),
      ...stat('Elapsed', duration(((s.endedAt ?? Date.now()) - s.startedAt) / 1000)),
      ...stat('Time left', running(s) ? duration(p.eta_seconds) : '—'),
    ),
  );
  if (s.cancelled)
    box.append(
      h(
        'p',
        { class: 'note' },
        `Cancelled at step ${s.cancelled.step}.${s.cancelled.checkpoint ? ` Checkpoint: ${s.cancelled.checkpoint} — resume from the config's code lens.` : ''}`,
      ),
    );
  return box;
}

function stat(name: string, value: string): HTMLElement[] {
  return [h('dt', {}, name), h('dd', {}, value)];
}

function bar(fraction: number, label: string): HTMLElement {
  const percent = Math.max(0, Math.min(100, fraction * 100));
  const fill = h('div', { class: 'fill' });
  fill.style.width = `${percent.toFixed(1)}%`;
  return h(
    'div',
    {
      class: 'bar',
      role: 'progressbar',
      'aria-label': label,
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': percent.toFixed(0),
    },
    fill,
  );
}

function actions(s: RunState): HTMLElement {
  const send = (type: PageMessage['type']) => () => vscode.postMessage({ type } as PageMessage);
  const row = h('div', { class: 'buttons' });
  if (running(s)) row.append(button('Cancel', send('cancel'), 'secondary'));
  if (s.final)
    row.append(
      button('Open model card', send('openModelCard'), 'primary'),
      button('Reveal output folder', send('revealOutput')),
    );
  // A failed run's way out is in its config: the problem underlined there, with quick fixes.
  if (s.failed) row.append(button('Open config', send('openConfig'), 'primary'));
  if (!running(s) && !s.evaluation) row.append(button('Run again', send('runAgain')));
  return row;
}

function failure(s: RunState): HTMLElement | undefined {
  if (!s.failed) return undefined;
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('h2', {}, 'Training failed'),
    h('p', { class: 'message' }, s.failed.message),
    s.failed.hint && h('p', { class: 'hint' }, s.failed.hint),
    s.failed.lastOutput &&
      h('details', {}, h('summary', {}, 'Last output of the training process'), h('pre', {}, s.failed.lastOutput)),
  );
}

/** The loss line's smoothing weight (TensorBoard's default 0.6); the slider under the chart sets it. */
let smoothing = 0.6;

function smoothingControl(): HTMLElement {
  const slider = h('input', {
    type: 'range',
    min: '0',
    max: '0.99',
    step: '0.01',
    value: String(smoothing),
    'aria-label': 'Smoothing of the training loss',
  }) as HTMLInputElement;
  slider.addEventListener('change', () => {
    smoothing = Number(slider.value);
    if (state) paint(state);
  });
  return h('label', { class: 'chart-controls' }, 'Smoothing', slider, h('span', {}, smoothing.toFixed(2)));
}

function chart(s: RunState): HTMLElement | undefined {
  if (s.lossCurve.length === 0 && s.rows.length === 0) return undefined;
  const total = s.started?.total_steps ?? s.progress?.total_steps ?? Math.max(1, ...s.lossCurve.map((p) => p.step));
  return h(
    'div',
    {},
    h('h2', {}, 'Loss'),
    lossChart(
      s.lossCurve,
      s.rows.map((r) => ({ step: r.step, loss: r.validation_loss })),
      total,
      { stepsPerEpoch: s.started?.steps_per_epoch, smoothing },
    ) as unknown as HTMLElement,
    smoothingControl(),
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'key train' }),
      'training loss',
      s.curveStride > 1 ? ` (mean of ${s.curveStride} steps per point)` : '',
      smoothing > 0 ? ', smoothed (raw values faint)' : '',
      h('span', { class: 'key validation' }),
      'validation loss',
    ),
  );
}

function table(s: RunState): HTMLElement | undefined {
  if (s.rows.length === 0) return undefined;
  return h(
    'div',
    {},
    h('h2', {}, 'Training results'),
    grid(
      'Training results',
      ['Training Loss', 'Epoch', 'Step', 'Validation Loss', 'Accuracy', 'F1'],
      s.rows.map((r) => [
        four(r.training_loss),
        epoch(r.epoch),
        String(r.step),
        four(r.validation_loss),
        four(r.accuracy),
        four(r.f1),
      ]),
      '10em 5.5em 5em 11.5em 7.5em 6.5em',
    ),
  );
}

function final(s: RunState): HTMLElement | undefined {
  if (!s.final) return undefined;
  const m = s.final.metrics;
  const labels = m.labels;
  return h(
    'div',
    {},
    divider(),
    h('h2', {}, s.evaluation ? `Metrics on ${basename(s.evaluation.file)}` : 'Final metrics'),
    h(
      'dl',
      { class: 'stats final-metrics' },
      ...stat('Accuracy', four(m.eval_accuracy)),
      ...stat(`F1 (${m.f1_average})`, four(m.eval_f1)),
      ...(s.evaluation
        ? [
            ...stat('Loss', four(m.eval_loss)),
            ...stat('Examples', String(s.evaluation.examples)),
            ...stat('Time', duration(s.evaluation.runtime)),
          ]
        : [
            ...stat('Validation loss', four(m.eval_loss)),
            ...stat('Training loss', four(m.train_loss)),
            ...stat('Training time', duration(m.train_runtime)),
          ]),
    ),
    m.per_class.length > 0 && h('h3', {}, 'Per class'),
    m.per_class.length > 0 &&
      grid(
        'Per-class metrics',
        ['Label', 'Precision', 'Recall', 'F1', 'Support'],
        m.per_class.map((c) => [c.label, four(c.precision), four(c.recall), four(c.f1), String(c.support)]),
        'minmax(8em, 2fr) 8.5em 7.5em 7em 7.5em',
      ),
    m.confusion_matrix.length > 0 && h('h3', {}, 'Confusion matrix (rows: true label, columns: predicted)'),
    m.confusion_matrix.length > 0 &&
      grid(
        'Confusion matrix',
        ['', ...labels],
        m.confusion_matrix.map((row, i) => [labels[i], ...row.map(String)]),
        `minmax(8em, 2fr) ${labels.map(() => 'minmax(5em, 1fr)').join(' ')}`,
      ),
    h('p', { class: 'facts' }, `${s.evaluation ? 'Model' : 'Model, tokenizer and model card'}: ${s.final.outputDir}`),
  );
}

function logTail(s: RunState): HTMLElement | undefined {
  if (s.log.length === 0) return undefined;
  return h(
    'details',
    {},
    h('summary', {}, `Log (${s.log.length} lines)`),
    h('pre', { class: 'log' }, s.log.map((l) => `${l.level === 'info' ? '' : `${l.level}: `}${l.text}`).join('\n')),
  );
}

/** The last segment of a path (POSIX or Windows). */
function basename(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
