// A one-line progress report for terminals: bar, step, epoch, loss, learning rate, speed, time left.
import type { ProgressEvent } from '../core/train/events';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

export function progressLine(p: Omit<ProgressEvent, 'type'>, width: number): string {
  const done = Math.round((p.step / p.total_steps) * width);
  const bar = `[${'='.repeat(Math.max(0, done - 1))}${done > 0 ? (done === width ? '=' : '>') : ''}${' '.repeat(width - done)}]`;
  return `${bar} ${p.step}/${p.total_steps} epoch ${p.epoch.toFixed(2)} loss ${p.loss.toFixed(4)} lr ${p.learning_rate.toExponential(2)} ${p.samples_per_second.toFixed(1)} samples/s left ${formatDuration(p.eta_seconds)}`;
}
