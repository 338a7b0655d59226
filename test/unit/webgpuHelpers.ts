// The WebGPU adapter of these tests: SwiftShader, the software Vulkan driver (and its own Vulkan
// loader) that Debian's chromium package ships. The tests run the CLI, the worker or VS Code in
// child processes whose environment (`withSwiftShader`) points Dawn at it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';

export const SWIFTSHADER_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${SWIFTSHADER_DIR}/vk_swiftshader_icd.json`;

/** The environment that gives Dawn the SwiftShader adapter. */
export function withSwiftShader(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    LD_LIBRARY_PATH: [SWIFTSHADER_DIR, env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
    VK_ICD_FILENAMES: SWIFTSHADER_ICD,
  };
}

/** Fails (never skips) when this machine lacks SwiftShader. */
export function requireSwiftShaderOnMachine(): void {
  assert.ok(fs.existsSync(SWIFTSHADER_ICD), `SwiftShader is missing (${SWIFTSHADER_ICD}): apt-get install chromium`);
}

/** For tests that load the webgpu backend in their own process: scripts/test.mjs gives the unit layer SwiftShader. */
export function requireSwiftShaderInThisProcess(): void {
  requireSwiftShaderOnMachine();
  assert.equal(process.env.VK_ICD_FILENAMES, SWIFTSHADER_ICD, 'run the unit layer through npm test (scripts/test.mjs)');
}
