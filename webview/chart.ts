// The loss curve as SVG: training loss per logged step (a line) and validation loss per
// evaluation (points), on shared axes, with a dashed line where each epoch starts. Smoothed, the
// moving average is the line and the raw points stay faint behind it. Drawn from the state's
// already-downsampled curve.
import { epochBoundaries, smoothed } from './smoothing';

const NS = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 48, right: 12, top: 10, bottom: 26 };

function svg(tag: string, attributes: Record<string, string | number>): SVGElement {
  const element = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

export interface ChartOptions {
  /** Steps per epoch, for the epoch lines (none when unknown). */
  stepsPerEpoch?: number;
  /** TensorBoard smoothing weight, 0 for the raw line only. */
  smoothing: number;
}

export function lossChart(
  training: Array<{ step: number; loss: number }>,
  validation: Array<{ step: number; loss: number }>,
  totalSteps: number,
  options: ChartOptions = { smoothing: 0 },
): SVGElement {
  const { chart, x, y } = frame(
    [...training, ...validation].map((p) => p.loss),
    totalSteps,
    'Training and validation loss by step',
  );
  if (!x || !y) return chart;
  for (const mark of epochBoundaries(options.stepsPerEpoch ?? 0, totalSteps)) {
    chart.append(
      svg('line', { x1: x(mark.step), x2: x(mark.step), y1: PAD.top, y2: HEIGHT - PAD.bottom, class: 'epoch' }),
    );
    const label = svg('text', { x: x(mark.step) + 3, y: PAD.top + 10, class: 'axis epoch-label' });
    label.textContent = `epoch ${mark.epoch + 1}`;
    chart.append(label);
  }
  const line = (points: Array<{ step: number; loss: number }>, className: string) =>
    svg('polyline', {
      points: points.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' '),
      class: className,
    });
  if (training.length > 0 && options.smoothing > 0) {
    chart.append(line(training, 'train raw'));
    chart.append(line(smoothed(training, options.smoothing), 'train'));
  } else if (training.length > 0) {
    chart.append(line(training, 'train'));
  }
  for (const p of validation) chart.append(svg('circle', { cx: x(p.step), cy: y(p.loss), r: 4, class: 'validation' }));
  return chart;
}

/** The SVG with its grid and step labels, and the scales (none when no value is finite). */
function frame(
  values: number[],
  totalSteps: number,
  label: string,
): { chart: SVGElement; x?: (step: number) => number; y?: (loss: number) => number } {
  const chart = svg('svg', { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img', class: 'chart', 'aria-label': label });
  const all = values.filter(Number.isFinite);
  if (all.length === 0) return { chart };
  const max = Math.max(...all) * 1.05;
  const min = Math.min(0, ...all);
  const x = (step: number) => PAD.left + ((WIDTH - PAD.left - PAD.right) * step) / Math.max(1, totalSteps);
  const y = (loss: number) =>
    HEIGHT - PAD.bottom - ((HEIGHT - PAD.top - PAD.bottom) * (loss - min)) / Math.max(1e-9, max - min);
  for (const value of [min, (min + max) / 2, max]) {
    chart.append(svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: 'grid' }));
    const text = svg('text', { x: PAD.left - 6, y: y(value) + 4, 'text-anchor': 'end', class: 'axis' });
    text.textContent = value.toFixed(2);
    chart.append(text);
  }
  for (const step of [0, totalSteps]) {
    const text = svg('text', { x: x(step), y: HEIGHT - 8, 'text-anchor': step === 0 ? 'start' : 'end', class: 'axis' });
    text.textContent = step === 0 ? 'step 0' : `step ${totalSteps}`;
    chart.append(text);
  }
  return { chart, x, y };
}

/** Several runs' training losses on one pair of axes, each in its own series colour (series-0, -1...). */
export function comparisonChart(
  series: Array<{ name: string; points: Array<{ step: number; loss: number }> }>,
  steps: number,
): SVGElement {
  const totalSteps = Math.max(1, steps, ...series.flatMap((s) => s.points.map((p) => p.step)));
  const { chart, x, y } = frame(
    series.flatMap((s) => s.points.map((p) => p.loss)),
    totalSteps,
    `Training loss by step of ${series.map((s) => s.name).join(' and ')}`,
  );
  if (!x || !y) return chart;
  series.forEach((s, i) =>
    chart.append(
      svg('polyline', {
        points: s.points.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' '),
        class: `series series-${i % 6}`,
      }),
    ),
  );
  return chart;
}
