// A jest environment for tests that run ONNX Runtime (the local embedding model).
//
// jest gives each test file its own realm, with its own Float32Array and friends. onnxruntime-node
// creates output tensors from typed arrays of Node's own realm, and onnxruntime-common, loaded
// inside the test realm, then rejects them with "A float32 tensor's data must be type of
// Float32Array". Handing the test realm Node's typed array constructors makes both sides agree.
// Use it with a docblock at the top of the test file:
//   /** @jest-environment ./shared/src/testing/onnx-test-environment.js */
'use strict';

const { TestEnvironment } = require('jest-environment-node');

const TYPED_ARRAYS = [
  'ArrayBuffer',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxTestEnvironment;
