/**
 * Choosing ONNX Runtime's execution provider from ORT_EXECUTION_PROVIDERS:
 * `cpu` (default), `cuda`, or `cuda,cpu` (CUDA, falling back to CPU where it
 * is missing). CUDA is probed by creating a session with it: onnxruntime-node
 * loads its CUDA provider library only then (it is installed by
 * ONNXRUNTIME_NODE_INSTALL=cuda12 at `npm install` time).
 */
import type { ExecutionProvider } from '../../config.js';
import { StartupError } from '../../errors.js';
import type { Logger } from '../../logger.js';

/** Creates whatever needs a provider (a session) on exactly these providers. */
export type CreateOn<T> = (providers: ExecutionProvider[]) => Promise<T>;

/** Remembers whether CUDA works, so that one failed probe decides for every model. */
export class ProviderSelector {
  private cudaError: string | undefined;

  constructor(
    readonly requested: readonly ExecutionProvider[],
    private readonly logger?: Logger,
  ) {}

  /** The provider models run on when CUDA has not failed (for health before any model loads). */
  get preferred(): ExecutionProvider {
    return this.requested[0] === 'cuda' && this.cudaError === undefined ? 'cuda' : 'cpu';
  }

  /**
   * Creates `T` on the first usable provider. Throws a StartupError naming
   * ORT_EXECUTION_PROVIDERS when only CUDA is allowed and it cannot be used;
   * any other failure (a bad model file) is rethrown as it is.
   */
  async create<T>(createOn: CreateOn<T>): Promise<{ value: T; provider: ExecutionProvider }> {
    const wantsCuda = this.requested.includes('cuda');
    const allowsCpu = this.requested.includes('cpu');
    if (wantsCuda && this.cudaError === undefined) {
      let cudaFailure: unknown;
      try {
        return { value: await createOn(['cuda']), provider: 'cuda' };
      } catch (err) {
        cudaFailure = err;
      }
      // Blame CUDA only if the same model loads on CPU: a corrupt file fails
      // on both and is that model's failure, not the provider's.
      const onCpu = await createOn(['cpu']);
      this.cudaError = cudaFailure instanceof Error ? cudaFailure.message : String(cudaFailure);
      if (!allowsCpu) {
        if (isReleasable(onCpu)) await onCpu.release();
        throw new StartupError(
          `ORT_EXECUTION_PROVIDERS=cuda, but the CUDA execution provider cannot be used: ${this.cudaError}. ` +
            'Install with ONNXRUNTIME_NODE_INSTALL=cuda12 on a machine with an NVIDIA GPU and CUDA 12, or set ORT_EXECUTION_PROVIDERS=cuda,cpu to fall back to CPU.',
        );
      }
      this.logger?.warn(
        { err: this.cudaError },
        'ORT_EXECUTION_PROVIDERS=cuda,cpu: CUDA is not usable here, falling back to the CPU execution provider',
      );
      return { value: onCpu, provider: 'cpu' };
    }
    if (wantsCuda && !allowsCpu) {
      throw new StartupError(`ORT_EXECUTION_PROVIDERS=cuda, but the CUDA execution provider cannot be used: ${this.cudaError}`);
    }
    return { value: await createOn(['cpu']), provider: 'cpu' };
  }
}

function isReleasable(value: unknown): value is { release(): Promise<void> } {
  return typeof (value as { release?: unknown })?.release === 'function';
}
