// The TensorFlow.js backends a run can compute on, by their registered names. A file of its own so
// that the protocol (and the webview page that reads it) gets the names without the loader's code.

/** `tensorflow` (tfjs-node or tfjs-node-gpu), `webgpu` (Dawn), `native` (the OpenBLAS kernel addon), `wasm` or `cpu`. */
export type Backend = 'tensorflow' | 'webgpu' | 'native' | 'wasm' | 'cpu';
