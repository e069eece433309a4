/**
 * Imported before onnxruntime-node, so that its Linux binary's telemetry
 * uploader is off before the library loads: a production service must not
 * phone home. ESM evaluates imports in order, so `import './ort-env.js'`
 * placed first in a module runs before that module's later imports.
 */
process.env.ORT_DISABLE_TELEMETRY = '1';

/** Node 24's Float16Array, kept for the service's own half conversions (runtime/half.ts). */
export const Float16ArrayCtor = (globalThis as { Float16Array?: unknown }).Float16Array;

/**
 * FP16 tensors travel as Uint16Array (raw IEEE halves). Node 24 has a global
 * Float16Array; when it exists, onnxruntime-common 1.30 wraps a float16
 * tensor's data in one, which the native binding cannot read ("not enough
 * space: expected 16, got 0": microsoft/onnxruntime#26791). Without the
 * global, onnxruntime-common keeps Uint16Array, as on Node 20 and as the wire
 * formats carry halves. The service converts
 * halves with the constructor kept above.
 */
delete (globalThis as { Float16Array?: unknown }).Float16Array;
