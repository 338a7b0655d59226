// The status bar item of the running run: its progress, and a click that shows its panel.
import * as vscode from 'vscode';
import { COMMANDS } from './ids';
import { isRunning } from '../run/runState';
import type { RunState } from '../run/protocol';

/** What the item shows of a run: its state, and the config whose panel a click shows. */
export interface ShownRun {
  state: RunState;
  configUri: vscode.Uri;
}

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem(
    'distilbertFinetuner.run',
    vscode.StatusBarAlignment.Left,
    10,
  );
  private shown?: ShownRun;
  private lastUpdate = 0;

  constructor() {
    this.item.name = 'DistilBERT fine-tuning';
  }

  show(run: ShownRun): void {
    this.shown = run;
    this.render(run);
    this.item.show();
  }

  update(run: ShownRun): void {
    if (run !== this.shown) return;
    const now = Date.now();
    if (isRunning(run.state) && now - this.lastUpdate < 250) return;
    this.lastUpdate = now;
    this.render(run);
    if (!isRunning(run.state)) setTimeout(() => this.shown === run && this.item.hide(), 10_000);
  }

  private render(run: ShownRun): void {
    const s = run.state;
    this.item.command = { title: 'Show training run', command: COMMANDS.showResults, arguments: [run.configUri] };
    if (s.phase === 'downloading' && s.download) {
      this.item.text = `$(cloud-download) ${s.download.file} ${Math.round((100 * s.download.bytes) / Math.max(1, s.download.total))}%`;
    } else if (s.progress) {
      const percent = Math.floor((100 * s.progress.step) / s.progress.total_steps);
      this.item.text = `${isRunning(s) ? '$(sync~spin)' : s.phase === 'finished' ? '$(check)' : '$(debug-stop)'} Fine-tuning ${percent}% · loss ${s.progress.loss.toFixed(4)}`;
    } else {
      this.item.text = `$(sync~spin) Fine-tuning: ${s.phase}`;
    }
    this.item.tooltip = `${s.title} — ${s.phase}. Click to show the run.`;
  }

  dispose(): void {
    this.item.dispose();
  }
}
