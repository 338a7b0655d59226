// The import rules of the house (npm run lint:deps). The map: README.md, "Working on it".
//
//   src/vscode  -> src/run, src/core      the editor's own folder: the only one that imports `vscode`
//   src/worker  -> src/run, src/core      the training child process
//   src/cli     -> src/run, src/core      the headless CLI
//   src/run     -> src/core               what the extension, the worker and the page exchange
//   src/core    -> (nothing above it)     the trainer: pure TypeScript + TensorFlow.js
//   webview     -> src/run (types)        the panel's page
//
// No cycles, between files or between folders. Type-only imports count: they are arrows too.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      severity: 'error',
      comment: 'Two files that import each other, directly or through others.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Two folders that import each other, directly or through others.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'vscode-only-in-the-editor-folder',
      severity: 'error',
      comment: 'Only src/vscode (and the tests that run inside the extension host) may import vscode.',
      from: { pathNot: '^(src/vscode|test/integration)/' },
      to: { path: '^vscode$|node_modules/@types/vscode/' },
    },
    {
      name: 'core-imports-nothing-above-it',
      severity: 'error',
      comment: 'The trainer core knows nothing of the editor, the worker, the CLI or the protocol envelopes.',
      from: { path: '^src/core/' },
      to: { path: '^(src/(?!core/)|webview/|test/|bench/)' },
    },
    {
      name: 'run-imports-only-core',
      severity: 'error',
      comment: 'src/run is shared by the extension, the worker and the page: it may use the core, nothing else.',
      from: { path: '^src/run/' },
      to: { path: '^(src/(?!run/|core/)|webview/|test/|bench/)' },
    },
    {
      name: 'entry-points-stay-apart',
      severity: 'error',
      comment: 'The worker, the CLI and the editor are separate programs: none imports another.',
      from: { path: '^src/(worker|cli|vscode)/' },
      to: { path: '^src/(worker|cli|vscode)/', pathNot: '^src/$1/' },
    },
    {
      name: 'webview-sees-only-the-protocol',
      severity: 'error',
      comment: 'The page renders protocol messages: it imports src/run/protocol and its own files only.',
      from: { path: '^webview/' },
      to: { path: '^src/', pathNot: '^src/run/protocol\\.ts$' },
    },
    {
      name: 'product-code-does-not-import-tests',
      severity: 'error',
      from: { path: '^(src|webview)/' },
      to: { path: '^(test|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)(out|dist|node_modules)/' },
  },
};
