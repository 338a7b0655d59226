// End to end on the GPU path: the packed .vsix in real VS Code, a config with `device: webgpu`,
// Start training from its code lens; the worker trains on WebGPU (Dawn on SwiftShader, the software
// Vulkan driver of Debian's chromium, given to the VS Code server's environment and so to the
// worker's) and the panel names the adapter and shows the finished run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { openInstalledWorkbench, runPanel, withFailureScreenshot, type InstalledWorkbench } from '../support/workbench';
import { requireSwiftShaderOnMachine, withSwiftShader } from '../unit/webgpuHelpers';

let workbench: InstalledWorkbench;
let page: Page;
let workspace: string;

before(async () => {
  requireSwiftShaderOnMachine();
  const swiftShader = withSwiftShader({});
  workbench = await openInstalledWorkbench('e2e-webgpu', { width: 1500, height: 900 }, swiftShader);
  ({ page, workspace } = workbench);
  fs.writeFileSync(
    path.join(workspace, 'gpu.finetune.yaml'),
    [
      'model: ./tiny-model',
      'train_file: reviews.csv',
      'text_column: text',
      'label_column: label',
      'max_length: 32',
      'learning_rate: 1e-3',
      'per_device_train_batch_size: 32',
      'num_train_epochs: 1',
      'device: webgpu',
      'output_dir: gpu-run',
      '',
    ].join('\n'),
  );
});

after(() => workbench?.close());

const panel = (): FrameLocator => runPanel(page);

test(
  'Start training with device: webgpu trains on the WebGPU adapter and the panel says which',
  { timeout: 300_000 },
  () =>
    withFailureScreenshot(page, 'webgpu', async () => {
      await page.keyboard.press('Control+P');
      await page.locator('.quick-input-widget input').fill('gpu.finetune.yaml');
      await page.locator('.quick-input-list .monaco-list-row', { hasText: 'gpu.finetune.yaml' }).first().waitFor();
      await page.keyboard.press('Enter');
      const lens = page.locator('.codelens-decoration a', { hasText: 'Start training' });
      await lens.waitFor({ timeout: 30_000 });
      await lens.click();
      await panel()
        .getByText(/WebGPU on google swiftshader .*\(software, Vulkan\)/)
        .first()
        .waitFor({ timeout: 120_000 });
      // A model without weights: the header says so once, and a banner says what it means.
      await panel()
        .getByText(/^\.\/tiny-model \(from scratch, no pretrained weights\) · WebGPU/)
        .waitFor();
      await panel().locator('.banner', { hasText: 'Trained from scratch — no pretrained weights.' }).waitFor();
      await panel().getByRole('heading', { name: 'Final metrics' }).waitFor({ timeout: 240_000 });
      const card = fs.readFileSync(path.join(workspace, 'gpu-run', 'README.md'), 'utf8');
      assert.match(card, /WebGPU on google swiftshader/);
      assert.ok(fs.existsSync(path.join(workspace, 'gpu-run', 'model.safetensors')));
    }),
);
