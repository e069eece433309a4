/**
 * Small ONNX graphs shaped like what the usual converters write (API.md §14):
 * skl2onnx's per-column pipeline ending in a ZipMap, onnxmltools' tree
 * ensemble with int64 labels, torch.onnx.export's tensor model, and a few
 * edge cases. Built in memory with scripts/lib/onnx-writer.ts.
 */
import {
  ElemType as T, attr, encodeGraph, floatInitializer, int64Initializer, valueInfo,
} from '../../scripts/lib/onnx-writer.js';

const ML = 'ai.onnx.ml';
const seqOfMaps = (key: number) => ({ sequence: { map: { key, value: { tensor: T.FLOAT } } } });

/** skl2onnx: city, color (STRING [N, 1]) one-hot (zeros=0), income (FP32 [N, 1]) scaled, LinearClassifier, ZipMap. */
export function sklearnPipeline(options: { probabilityTensorOutput?: boolean; colorZeros?: number } = {}): Uint8Array {
  const cities = ['paris', 'rome', 'oslo'];
  const colors = ['red', 'green'];
  return encodeGraph({
    nodes: [
      { opType: 'OneHotEncoder', domain: ML, inputs: ['city'], outputs: ['city_oh'], attributes: { cats_strings: attr.strings(cities), zeros: attr.int(0) } },
      { opType: 'Reshape', inputs: ['city_oh', 'shape_city'], outputs: ['city_2d'] },
      { opType: 'Identity', inputs: ['color'], outputs: ['color_id'] },
      { opType: 'OneHotEncoder', domain: ML, inputs: ['color_id'], outputs: ['color_oh'], attributes: { cats_strings: attr.strings(colors), zeros: attr.int(options.colorZeros ?? 0) } },
      { opType: 'Reshape', inputs: ['color_oh', 'shape_color'], outputs: ['color_2d'] },
      { opType: 'Scaler', domain: ML, inputs: ['income'], outputs: ['income_scaled'], attributes: { offset: attr.floats([52000]), scale: attr.floats([1e-4]) } },
      { opType: 'Concat', inputs: ['city_2d', 'color_2d', 'income_scaled'], outputs: ['X'], attributes: { axis: attr.int(1) } },
      {
        opType: 'LinearClassifier', domain: ML, inputs: ['X'], outputs: ['output_label', 'probability_tensor'],
        attributes: {
          classlabels_strings: attr.strings(['no', 'yes']),
          coefficients: attr.floats([0.5, -0.2, 0.1, 0.3, -0.4, 0.8, -0.5, 0.2, -0.1, -0.3, 0.4, -0.8]),
          intercepts: attr.floats([0.1, -0.1]),
          post_transform: attr.string('SOFTMAX'),
        },
      },
      { opType: 'ZipMap', domain: ML, inputs: ['probability_tensor'], outputs: ['output_probability'], attributes: { classlabels_strings: attr.strings(['no', 'yes']) } },
    ],
    initializers: [int64Initializer('shape_city', [2], [-1, 3]), int64Initializer('shape_color', [2], [-1, 2])],
    inputs: [
      valueInfo('city', { tensor: T.STRING, shape: [null, 1] }),
      valueInfo('color', { tensor: T.STRING, shape: [null, 1] }),
      valueInfo('income', { tensor: T.FLOAT, shape: [null, 1] }),
    ],
    outputs: [
      valueInfo('output_label', { tensor: T.STRING, shape: ['N'] }),
      valueInfo('output_probability', seqOfMaps(T.STRING)),
      ...(options.probabilityTensorOutput ? [valueInfo('probability_tensor', { tensor: T.FLOAT, shape: ['N', 2] })] : []),
    ],
  });
}

/** onnxmltools (LightGBM): input FP32 [N, 4], TreeEnsembleClassifier with int64 labels, ZipMap. */
export function treeEnsemble(options: { probabilityTensorOutput?: boolean } = {}): Uint8Array {
  return encodeGraph({
    nodes: [
      {
        opType: 'TreeEnsembleClassifier', domain: ML, inputs: ['input'], outputs: ['label', 'probability_tensor'],
        attributes: {
          nodes_treeids: attr.ints([0, 0, 0]), nodes_nodeids: attr.ints([0, 1, 2]), nodes_featureids: attr.ints([2, 0, 0]),
          nodes_modes: attr.strings(['BRANCH_LEQ', 'LEAF', 'LEAF']), nodes_values: attr.floats([2.5, 0, 0]),
          nodes_truenodeids: attr.ints([1, 0, 0]), nodes_falsenodeids: attr.ints([2, 0, 0]),
          class_treeids: attr.ints([0, 0, 0, 0, 0, 0]), class_nodeids: attr.ints([1, 1, 1, 2, 2, 2]),
          class_ids: attr.ints([0, 1, 2, 0, 1, 2]), class_weights: attr.floats([0.7, 0.2, 0.1, 0.1, 0.3, 0.6]),
          classlabels_int64s: attr.ints([3, 5, 7]), post_transform: attr.string('NONE'),
        },
      },
      { opType: 'ZipMap', domain: ML, inputs: ['probability_tensor'], outputs: ['probabilities'], attributes: { classlabels_int64s: attr.ints([3, 5, 7]) } },
    ],
    inputs: [valueInfo('input', { tensor: T.FLOAT, shape: ['N', 4] })],
    outputs: [
      valueInfo('label', { tensor: T.INT64, shape: ['N'] }),
      valueInfo('probabilities', seqOfMaps(T.INT64)),
      ...(options.probabilityTensorOutput ? [valueInfo('probability_tensor', { tensor: T.FLOAT, shape: ['N', 3] })] : []),
    ],
  });
}

/** torch.onnx.export: input FP32 [batch_size, 3, 8, 8] → Conv → Relu → Flatten → Gemm → output [batch_size, 10]. */
export function torchConvNet(): Uint8Array {
  const weights = (n: number, scale: number) => Array.from({ length: n }, (_, i) => Math.sin(i + 1) * scale);
  return encodeGraph({
    nodes: [
      { opType: 'Conv', inputs: ['input', 'conv.weight', 'conv.bias'], outputs: ['/conv/Conv_output_0'], attributes: { pads: attr.ints([1, 1, 1, 1]), kernel_shape: attr.ints([3, 3]) } },
      { opType: 'Relu', inputs: ['/conv/Conv_output_0'], outputs: ['/relu/Relu_output_0'] },
      { opType: 'Flatten', inputs: ['/relu/Relu_output_0'], outputs: ['/Flatten_output_0'], attributes: { axis: attr.int(1) } },
      { opType: 'Gemm', inputs: ['/Flatten_output_0', 'fc.weight', 'fc.bias'], outputs: ['output'], attributes: { transB: attr.int(1) } },
    ],
    initializers: [
      floatInitializer({ name: 'conv.weight', dims: [4, 3, 3, 3], values: weights(108, 0.1) }),
      floatInitializer({ name: 'conv.bias', dims: [4], values: [0, 0.1, -0.1, 0.2] }),
      floatInitializer({ name: 'fc.weight', dims: [10, 256], values: weights(2560, 0.05) }),
      floatInitializer({ name: 'fc.bias', dims: [10], values: weights(10, 0.01) }),
    ],
    inputs: [valueInfo('input', { tensor: T.FLOAT, shape: ['batch_size', 3, 8, 8] })],
    outputs: [valueInfo('output', { tensor: T.FLOAT, shape: ['batch_size', 10] })],
  });
}

/** Two inputs that are neither columns nor one matrix: a FP32 [N, 3] and an INT64 [N, 2], joined. */
export function multiInputTensor(): Uint8Array {
  return encodeGraph({
    nodes: [
      { opType: 'Cast', inputs: ['ids'], outputs: ['ids_f'], attributes: { to: attr.int(T.FLOAT) } },
      { opType: 'Concat', inputs: ['dense', 'ids_f'], outputs: ['joined'], attributes: { axis: attr.int(1) } },
    ],
    inputs: [valueInfo('dense', { tensor: T.FLOAT, shape: ['N', 3] }), valueInfo('ids', { tensor: T.INT64, shape: ['N', 2] })],
    outputs: [valueInfo('joined', { tensor: T.FLOAT, shape: ['N', 5] })],
  });
}

/** Per-column regression: area FP32 [N, 1], rooms INT64 [N] → one FP32 output declared `shape`. */
export function columnRegression(outputShape: (string | number)[] = ['N']): Uint8Array {
  return encodeGraph({
    nodes: [
      { opType: 'Unsqueeze', inputs: ['rooms', 'axes'], outputs: ['rooms_2d'] },
      { opType: 'Cast', inputs: ['rooms_2d'], outputs: ['rooms_f'], attributes: { to: attr.int(T.FLOAT) } },
      { opType: 'Concat', inputs: ['area', 'rooms_f'], outputs: ['X'], attributes: { axis: attr.int(1) } },
      { opType: 'MatMul', inputs: ['X', 'coef'], outputs: ['y_2d'] },
      { opType: 'Reshape', inputs: ['y_2d', 'flat'], outputs: ['price'] },
    ],
    initializers: [
      int64Initializer('axes', [1], [1]), int64Initializer('flat', [1], [-1]),
      floatInitializer({ name: 'coef', dims: [2, 1], values: [2, 10] }),
    ],
    inputs: [valueInfo('area', { tensor: T.FLOAT, shape: ['N', 1] }), valueInfo('rooms', { tensor: T.INT64, shape: ['N'] })],
    outputs: [valueInfo('price', { tensor: T.FLOAT, shape: outputShape })],
  });
}

/** An output that is a sequence but not a ZipMap's: a sequence of tensors. */
export function sequenceOutput(): Uint8Array {
  return encodeGraph({
    nodes: [{ opType: 'SequenceConstruct', inputs: ['x', 'x'], outputs: ['parts'] }],
    inputs: [valueInfo('x', { tensor: T.FLOAT, shape: ['N', 2] })],
    outputs: [valueInfo('parts', { sequence: { tensor: T.FLOAT } })],
  });
}

/** skl2onnx's numeric branch: age, income (FP32 [N, 1]) → Concat → Imputer → Scaler → LinearRegressor. */
export function imputedColumns(): Uint8Array {
  return encodeGraph({
    nodes: [
      { opType: 'Concat', inputs: ['age', 'income'], outputs: ['num'], attributes: { axis: attr.int(1) } },
      { opType: 'Imputer', domain: ML, inputs: ['num'], outputs: ['imputed'], attributes: { imputed_value_floats: attr.floats([41.5, 48000]), replaced_value_float: attr.float(Number.NaN) } },
      { opType: 'Scaler', domain: ML, inputs: ['imputed'], outputs: ['scaled'], attributes: { offset: attr.floats([40, 50000]), scale: attr.floats([0.1, 1e-4]) } },
      { opType: 'LinearRegressor', domain: ML, inputs: ['scaled'], outputs: ['variable'], attributes: { coefficients: attr.floats([1, 2]), intercepts: attr.floats([3]) } },
    ],
    inputs: [valueInfo('age', { tensor: T.FLOAT, shape: ['N', 1] }), valueInfo('income', { tensor: T.FLOAT, shape: ['N', 1] })],
    outputs: [valueInfo('variable', { tensor: T.FLOAT, shape: ['N', 1] })],
  });
}
