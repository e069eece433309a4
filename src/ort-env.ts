/**
 * Imported before onnxruntime-node, so that its Linux binary's telemetry
 * uploader is off before the library loads: a production service must not
 * phone home. ESM evaluates imports in order, so `import './ort-env.js'`
 * placed first in a module runs before that module's later imports.
 */
process.env.ORT_DISABLE_TELEMETRY = '1';
