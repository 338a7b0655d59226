// The Runs view's comparison: the runs side by side (what differs, the final metrics) and their
// training losses on one chart. Rendered whole: a comparison does not change while shown.
import type { RunComparison, RunSummary } from '../src/run/protocol';
import { comparisonChart } from './chart';
import { four } from './format';
import { grid, h } from './ui';

export function comparisonPage(comparison: RunComparison): HTMLElement {
  const { runs, differing } = comparison;
  const column = (run: RunSummary & { name: string }, value: (r: RunSummary) => unknown) => show(value(run));
  const rows: string[][] = [
    ['finished', ...runs.map((r) => new Date(r.updated).toLocaleString())],
    ['backend', ...runs.map((r) => r.backend ?? '—')],
    ...differing.map((key) => [key, ...runs.map((r) => argument(shortPath(r.args[key])))]),
    ['steps', ...runs.map((r) => String(r.steps))],
    ['final validation loss', ...runs.map((r) => column(r, (x) => x.final?.eval_loss))],
    ['final accuracy', ...runs.map((r) => column(r, (x) => x.final?.eval_accuracy))],
    ['final F1', ...runs.map((r) => column(r, (x) => x.final?.eval_f1))],
    ['final training loss', ...runs.map((r) => column(r, (x) => x.final?.train_loss))],
  ];
  return h(
    'div',
    { class: 'comparison' },
    h('h1', {}, `Compare ${runs.map((r) => r.name).join(' · ')}`),
    h(
      'p',
      { class: 'facts' },
      differing.length
        ? `What differs: ${differing.join(', ')}. Everything else in training_args.json is the same.`
        : 'Their training arguments are the same.',
    ),
    grid(
      'Runs side by side',
      ['', ...runs.map((r) => r.name)],
      rows,
      `minmax(10em, 1.2fr) ${runs.map(() => 'minmax(8em, 1fr)').join(' ')}`,
    ),
    h('h2', {}, 'Training loss'),
    comparisonChart(
      runs.map((r) => ({ name: r.name, points: r.loss })),
      Math.max(...runs.map((r) => r.steps)),
    ) as unknown as HTMLElement,
    h(
      'p',
      { class: 'legend' },
      ...runs.flatMap((r, i) => [h('span', { class: `key series series-${i % 6}` }), r.name]),
    ),
  );
}

/** A training argument as the config writes it (0.001, 3e-4), not rounded like a metric. */
function argument(value: unknown): string {
  if (value === undefined || value === null) return '—';
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/** A metric: four decimals, as the Trainer's tables. */
function show(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : four(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A path's last two segments: enough to tell datasets and models apart in a narrow column. */
function shortPath(value: unknown): unknown {
  if (typeof value !== 'string' || !/[\\/]/.test(value)) return value;
  return value.split(/[\\/]/).slice(-2).join('/');
}
