// The mocha entry the VS Code extension host calls (`extensionTestsPath`).
//
// The suites are bundled into this file, so each exports a function that declares its tests once
// mocha has installed its globals (`suite`, `test`, ...) through the `pre-require` event.
import Mocha from 'mocha';
import activationSuite from './activation.test';
import configSuite from './config.test';
import panelSuite from './panel.test';
import badInputSuite from './badInput.test';
import useModelSuite from './useModel.test';
import activationBench from './activationBench';

const SUITES =
  process.env.DISTILBERT_FINETUNE_BENCH === 'activation'
    ? [activationBench]
    : [activationSuite, configSuite, panelSuite, badInputSuite, useModelSuite];

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', timeout: 180_000, color: false, reporter: 'spec' });
  mocha.suite.emit('pre-require', globalThis, 'integration', mocha);
  for (const declare of SUITES) declare();
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const stats = runner.stats ?? { passes: 0, failures, pending: 0 };
      const result = { passed: stats.passes, failed: stats.failures, skipped: stats.pending };
      console.log(`INTEGRATION_RESULT ${JSON.stringify(result)}`);
      if (failures > 0) reject(new Error(`${failures} integration tests failed`));
      else resolve();
    });
  });
}
