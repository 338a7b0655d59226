// Command and view identifiers, as contributed in package.json (a unit test checks they match).
export const COMMANDS = {
  fineTune: 'distilbertFinetuner.fineTune',
  startTraining: 'distilbertFinetuner.startTraining',
  resumeTraining: 'distilbertFinetuner.resumeTraining',
  cancelTraining: 'distilbertFinetuner.cancelTraining',
  showResults: 'distilbertFinetuner.showResults',
  exportScript: 'distilbertFinetuner.exportScript',
  createSmallModel: 'distilbertFinetuner.createSmallModel',
  classifySelection: 'distilbertFinetuner.classifySelection',
  predictFile: 'distilbertFinetuner.predictFile',
  evaluateFile: 'distilbertFinetuner.evaluateFile',
  compareRuns: 'distilbertFinetuner.compareRuns',
  refreshRuns: 'distilbertFinetuner.refreshRuns',
} as const;

export const LANGUAGE_ID = 'finetune-yaml';
export const RUN_PANEL_VIEW_TYPE = 'distilbertFinetuner.run';
export const COMPARE_PANEL_VIEW_TYPE = 'distilbertFinetuner.compare';
export const RUNS_VIEW = 'distilbertFinetuner.runs';
export const EXTENSION_ID = 'distilbert-finetuner.distilbert-finetuner';
