// Failures of the machine rather than of the code — memory running out, a full or read-only disk —
// turned into messages that say what happened and what to change. Everything else passes through.
import type { TrainingConfig } from '../config/schema';
import { GpuFault, recordedGpuFault } from '../kernels/gpuFaults';
import { UserError } from '../errors';
import { latestCheckpoint } from './findCheckpoints';

const OUT_OF_MEMORY =
  /Array buffer allocation failed|Invalid typed array length|Invalid array buffer length|Cannot allocate Wasm memory|Cannot enlarge memory|abort\(OOM\)|out of memory|OOM when allocating|std::bad_alloc/i;

const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file is too large for this file system',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
};

export function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && !(error instanceof UserError) && OUT_OF_MEMORY.test(error.message);
}

/** A UserError for an out-of-memory or file-system failure of a run; `error` itself otherwise. */
export function explainFailure(
  error: unknown,
  config: Pick<
    TrainingConfig,
    'per_device_train_batch_size' | 'per_device_eval_batch_size' | 'max_length' | 'output_dir'
  >,
): unknown {
  if (error instanceof UserError) return error;
  // A GPU fault is the cause of whatever failed after it (a read of an invalid buffer, say).
  const gpu = error instanceof GpuFault ? error : recordedGpuFault();
  if (gpu) return explainGpuFault(gpu, config);
  if (isOutOfMemory(error)) {
    const batch = config.per_device_train_batch_size;
    return new UserError(
      `out of memory with per_device_train_batch_size ${batch}, per_device_eval_batch_size ${config.per_device_eval_batch_size} and max_length ${config.max_length} (${(error as Error).message})`,
      `Lower per_device_train_batch_size (try ${Math.max(1, Math.floor(batch / 2))}) and per_device_eval_batch_size, or max_length; memory grows with batch size times max_length squared.${resumeNote(config.output_dir)}`,
    );
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in WRITE_ERRORS) {
    const file = (error as NodeJS.ErrnoException).path;
    return new UserError(
      `cannot write ${file ?? config.output_dir}: ${WRITE_ERRORS[code]} (${code})`,
      `${code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG' ? 'Free some space' : 'Make output_dir writable'}, or set output_dir to a folder elsewhere.${resumeNote(config.output_dir)} Nothing half-written is left as complete.`,
    );
  }
  return error;
}

const lower = (n: number) => Math.max(1, Math.floor(n / 2));

function explainGpuFault(
  fault: GpuFault,
  config: Pick<
    TrainingConfig,
    'per_device_train_batch_size' | 'per_device_eval_batch_size' | 'max_length' | 'output_dir'
  >,
): UserError {
  const resume = resumeNote(config.output_dir);
  switch (fault.kind) {
    case 'out-of-memory':
      return new UserError(
        `GPU out of memory with per_device_train_batch_size ${config.per_device_train_batch_size}, per_device_eval_batch_size ${config.per_device_eval_batch_size} and max_length ${config.max_length}: ${fault.message}`,
        `Lower per_device_train_batch_size (try ${lower(config.per_device_train_batch_size)}) and per_device_eval_batch_size, or max_length (try ${lower(config.max_length)}); attention's memory grows with batch size times max_length squared.${resume}`,
      );
    case 'device-lost':
      return new UserError(
        fault.message,
        `The GPU driver reset or the device went away (another program, a driver update, a sleep). Start again, or use device: cpu.${resume}`,
      );
    case 'shader':
      return new UserError(
        `${fault.message} (this GPU driver cannot run one of TensorFlow.js' WebGPU kernels)`,
        `Use device: cpu (or wasm) on this machine, or update the GPU driver.${resume}`,
      );
    default:
      return new UserError(fault.message, `Use device: cpu (or wasm) if it happens again.${resume}`);
  }
}

function resumeNote(outputDir: string): string {
  const checkpoint = latestCheckpoint(outputDir);
  return checkpoint
    ? ` The last complete checkpoint, ${checkpoint}, is intact: resume it with resume_from_checkpoint: true.`
    : '';
}
