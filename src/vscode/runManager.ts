// The runs of this window: each has a worker process, a state and a panel beside its dataset.
// Worker messages fold into the state (src/run/runState.ts); the panel, the status bar item, the
// Output channel and the notifications all show that one state.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from './ids';
import type { TrainingConfig } from '../core/config/schema';
import { writtenValue } from '../core/config/assist';
import { newestCheckpoint } from '../core/train/findCheckpoints';
import { TrainingProcess } from '../run/launcher';
import { chooseWorkerRuntime, type RuntimeError, type WorkerRuntime } from '../run/workerRuntime';
import type { PageMessage, RunState, WorkerMessage } from '../run/protocol';
import { stateFromOutput } from '../run/results';
import { initialRunState, isRunning, reduceRunState } from '../run/runState';
import { RunPanel } from './runPanel';
import { RunStatusBar } from './statusBar';

export interface Run {
  id: string;
  configUri: vscode.Uri;
  state: RunState;
  panel?: RunPanel;
  process?: TrainingProcess;
}

export class RunManager implements vscode.Disposable {
  private readonly runs = new Map<string, Run>();
  private count = 0;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly output: vscode.LogOutputChannel;
  private readonly statusBar = new RunStatusBar();

  constructor(
    private readonly extensionUri: vscode.Uri,
    output?: vscode.LogOutputChannel,
  ) {
    this.output = output ?? vscode.window.createOutputChannel('DistilBERT Fine-Tuner', { log: true });
  }

  /** Starts a run of a resolved config; its panel opens beside the dataset. */
  start(config: TrainingConfig, configUri: vscode.Uri): Run {
    const id = `${Date.now().toString(36)}-${++this.count}`;
    const dataset = path.basename(config.train_file);
    const state: RunState = {
      ...initialRunState(id, `Fine-tune ${dataset} · run ${this.count}`, configUri.fsPath, config.train_file),
      model: modelAsWritten(configUri, config),
    };
    const run: Run = { id, configUri, state };
    this.runs.set(id, run);
    run.panel = this.openPanel(run, columnBesideDataset(config.train_file));
    const settings = vscode.workspace.getConfiguration('distilbertFinetuner');
    this.output.info(`run ${id}: ${configUri.fsPath} -> ${config.output_dir}`);
    let runtime: WorkerRuntime;
    try {
      runtime = chooseWorkerRuntime({
        device: config.device,
        configuredNodePath: settings.get<string>('nodePath') || undefined,
        hostExecPath: process.execPath,
        electronVersion: process.versions.electron,
      });
    } catch (error) {
      const { message, hint } = error as RuntimeError;
      this.onWorkerMessage(run, { type: 'failed', run_id: id, message, hint });
      this.changed.fire();
      return run;
    }
    this.output.info(`run ${id}: the worker runs on ${runtime.description}`);
    if (runtime.note) this.onWorkerMessage(run, { type: 'log', run_id: id, level: 'info', text: runtime.note });
    run.process = new TrainingProcess({
      workerPath: vscode.Uri.joinPath(this.extensionUri, 'dist', 'worker.js').fsPath,
      config,
      configFile: configUri.fsPath,
      runId: id,
      nodePath: runtime.execPath,
      memoryMb: settings.get<number>('workerMemoryMb'),
      nativeModulesPath: settings.get<string>('nativeModulesPath') || undefined,
      onMessage: (message) => this.onWorkerMessage(run, message),
      onExit: (code, signal) => {
        this.output.info(`run ${id}: worker exited (${signal ?? `code ${code}`})`);
        run.process = undefined;
        this.changed.fire();
      },
    });
    this.statusBar.show(run);
    this.changed.fire();
    return run;
  }

  /** The newest run of a config, if any. */
  runOf(configUri: vscode.Uri): Run | undefined {
    return [...this.runs.values()].reverse().find((r) => r.configUri.fsPath === configUri.fsPath);
  }

  isRunning(configUri: vscode.Uri): boolean {
    const run = this.runOf(configUri);
    return run !== undefined && isRunning(run.state) && run.process !== undefined;
  }

  activeRuns(): Run[] {
    return [...this.runs.values()].filter((r) => isRunning(r.state) && r.process);
  }

  cancel(run: Run): void {
    if (!run.process) return;
    this.output.info(`run ${run.id}: cancel requested`);
    run.process.cancel();
  }

  /** Shows a run's panel, re-opening it when it was closed. */
  show(run: Run): void {
    if (run.panel) run.panel.reveal();
    else run.panel = this.openPanel(run, columnBesideDataset(run.state.dataset));
  }

  /** A panel for the results in an output folder (no live run), or undefined when there are none. */
  showOutput(configUri: vscode.Uri, config: TrainingConfig): Run | undefined {
    const id = `results-${Date.now().toString(36)}`;
    const state = stateFromOutput(config.output_dir, {
      runId: id,
      title: `Results of ${path.basename(config.train_file)}`,
      configFile: configUri.fsPath,
      dataset: config.train_file,
    });
    if (!state) return undefined;
    const run: Run = { id, configUri, state };
    this.runs.set(id, run);
    run.panel = this.openPanel(run, columnBesideDataset(config.train_file));
    return run;
  }

  /** A panel that VS Code restored after a window reload, with the state its page had saved. */
  restore(panel: vscode.WebviewPanel, saved: RunState | undefined): void {
    if (!saved?.runId) {
      panel.dispose();
      return;
    }
    let state = saved;
    if (isRunning(state)) {
      // The worker stopped with the old window (it writes a checkpoint when its parent goes away).
      const output = configOutputDir(state);
      const checkpoint = output ? newestCheckpoint(output) : undefined;
      state = {
        ...state,
        phase: 'cancelled',
        cancelled: { step: state.progress?.step ?? 0, checkpoint },
        endedAt: Date.now(),
      };
    }
    const run: Run = { id: state.runId, configUri: vscode.Uri.file(state.configFile), state };
    this.runs.set(run.id, run);
    run.panel = this.attachPanel(run, new RunPanel(panel, this.extensionUri, state, (m) => this.onPageMessage(run, m)));
  }

  private openPanel(run: Run, column: vscode.ViewColumn): RunPanel {
    return this.attachPanel(
      run,
      RunPanel.create(this.extensionUri, run.state, column, (m) => this.onPageMessage(run, m)),
    );
  }

  private attachPanel(run: Run, panel: RunPanel): RunPanel {
    panel.onDidDispose(() => {
      if (run.panel === panel) run.panel = undefined;
    });
    return panel;
  }

  private onWorkerMessage(run: Run, message: WorkerMessage): void {
    run.state = reduceRunState(run.state, message);
    run.panel?.update(run.state);
    this.statusBar.update(run);
    this.logToOutput(run, message);
    if (message.type === 'finished' || message.type === 'cancelled' || message.type === 'failed') {
      this.changed.fire();
      void this.notify(run, message);
    }
  }

  private logToOutput(run: Run, message: WorkerMessage): void {
    const prefix = `run ${run.id}:`;
    switch (message.type) {
      case 'log':
        this.output[message.level === 'error' ? 'error' : message.level === 'warning' ? 'warn' : 'info'](
          `${prefix} ${message.text}`,
        );
        break;
      case 'phase':
        this.output.debug(`${prefix} ${message.phase}${message.detail ? ` ${message.detail}` : ''}`);
        break;
      case 'started':
        this.output.info(
          `${prefix} training ${message.model} (${message.model_source}) on ${message.device}: ${message.num_train_examples} train / ${message.num_eval_examples} eval examples, ${message.total_steps} steps`,
        );
        break;
      case 'evaluation':
        this.output.info(
          `${prefix} step ${message.step} epoch ${message.epoch}: training loss ${message.training_loss ?? 'No log'}, validation loss ${message.validation_loss.toFixed(4)}, accuracy ${message.accuracy.toFixed(4)}, F1 ${message.f1.toFixed(4)}`,
        );
        break;
      case 'checkpoint':
        this.output.info(`${prefix} checkpoint ${message.path}`);
        break;
      case 'finished':
        this.output.info(
          `${prefix} finished: accuracy ${message.metrics.eval_accuracy.toFixed(4)}, F1 ${message.metrics.eval_f1.toFixed(4)}; model in ${message.output_dir}`,
        );
        break;
      case 'cancelled':
        this.output.info(
          `${prefix} cancelled at step ${message.step}${message.checkpoint ? `; checkpoint ${message.checkpoint}` : ''}`,
        );
        break;
      case 'failed':
        this.output.error(
          `${prefix} failed: ${message.message}${message.hint ? `\n  hint: ${message.hint}` : ''}${message.last_output ? `\n  last output:\n${message.last_output}` : ''}`,
        );
        break;
      default:
        break;
    }
  }

  private async notify(run: Run, message: WorkerMessage): Promise<void> {
    const dataset = path.basename(run.state.dataset);
    let choice: string | undefined;
    if (message.type === 'finished') {
      const m = message.metrics;
      choice = await vscode.window.showInformationMessage(
        `Fine-tuning on ${dataset} finished: accuracy ${m.eval_accuracy.toFixed(4)}, F1 ${m.eval_f1.toFixed(4)}.`,
        'Open model card',
        'Show results',
      );
      if (choice === 'Open model card') await this.openModelCard(run);
    } else if (message.type === 'cancelled') {
      choice = await vscode.window.showInformationMessage(
        `Fine-tuning on ${dataset} was cancelled at step ${message.step}; a checkpoint was saved.`,
        'Resume',
        'Show results',
      );
      if (choice === 'Resume') await vscode.commands.executeCommand(COMMANDS.resumeTraining, run.configUri);
    } else if (message.type === 'failed') {
      choice = await vscode.window.showErrorMessage(
        `Fine-tuning on ${dataset} failed: ${message.message}`,
        'Show details',
        'Open config',
      );
      if (choice === 'Open config') await vscode.window.showTextDocument(run.configUri);
      if (choice === 'Show details') this.output.show(true);
    }
    if (choice === 'Show results') this.show(run);
  }

  private async onPageMessage(run: Run, message: PageMessage): Promise<void> {
    switch (message.type) {
      case 'cancel':
        this.cancel(run);
        break;
      case 'openModelCard':
        await this.openModelCard(run);
        break;
      case 'revealOutput':
        if (run.state.final)
          await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(run.state.final.outputDir));
        break;
      case 'runAgain':
        await vscode.commands.executeCommand(COMMANDS.startTraining, run.configUri);
        break;
      case 'openConfig': {
        const visible = vscode.window.visibleTextEditors.find(
          (e) => e.document.uri.toString() === run.configUri.toString(),
        );
        await vscode.window.showTextDocument(run.configUri, {
          viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One,
          preview: false,
        });
        break;
      }
      default:
        break;
    }
  }

  private async openModelCard(run: Run): Promise<void> {
    const card = run.state.final?.modelCard;
    if (!card || !fs.existsSync(card)) return;
    await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(card));
  }

  dispose(): void {
    for (const run of this.runs.values()) {
      run.process?.cancel();
      run.panel?.dispose();
    }
    this.statusBar.dispose();
    this.changed.dispose();
    this.output.dispose();
  }
}

/** The column right of the dataset's editor, where the run panel goes; else beside the active editor. */
export function columnBesideDataset(dataset: string): vscode.ViewColumn {
  const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === dataset);
  if (editor?.viewColumn) return Math.min(editor.viewColumn + 1, vscode.ViewColumn.Nine) as vscode.ViewColumn;
  return vscode.ViewColumn.Beside;
}

/** The config's `model` value as the user wrote it (the resolved config holds an absolute path). */
function modelAsWritten(configUri: vscode.Uri, config: TrainingConfig): string {
  try {
    return writtenValue(fs.readFileSync(configUri.fsPath, 'utf8'), 'model');
  } catch {
    return config.model;
  }
}

function configOutputDir(state: RunState): string | undefined {
  return state.started?.output_dir ?? state.final?.outputDir;
}
