/**
 * deploy/kserve/, parsed: a ServingRuntime for ONNX models speaking the
 * Open Inference Protocol on the ports the service listens on, with the
 * model repository where KServe mounts it, and an InferenceService using it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { ROOT } from '../helpers/process.js';

type Doc = Record<string, any>;
const DIR = join(ROOT, 'deploy', 'kserve');
const docs: Doc[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], f);
    return d.toJS() as Doc;
  }));
const find = (kind: string) => docs.find((d) => d.kind === kind)!;
const runtime = find('ServingRuntime');
const container = runtime.spec.containers[0];
const env: Record<string, string> = Object.fromEntries(
  container.env.filter((e: Doc) => e.value !== undefined).map((e: Doc) => [e.name, String(e.value)]),
);
const config = loadConfig({ ...env, AUTH_JWT_SECRET: 'from-the-secret' });

describe('deploy/kserve/', () => {
  it('lists both manifests in its kustomization', () => {
    assert.deepEqual([...find('Kustomization').resources].sort(), ['inference-service.yaml', 'serving-runtime.yaml']);
  });

  describe('the ServingRuntime', () => {
    it('serves the onnx model format over protocol v2', () => {
      assert.equal(runtime.apiVersion, 'serving.kserve.io/v1alpha1');
      assert.ok(runtime.spec.supportedModelFormats.some((f: Doc) => f.name === 'onnx' && f.autoSelect === true));
      assert.ok(runtime.spec.protocolVersions.includes('v2'));
      assert.equal(container.name, 'kserve-container');
    });
    it('opens the HTTP and gRPC ports the service listens on, in production mode', () => {
      assert.equal(config.production, true);
      const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]));
      assert.equal(ports.http1, config.port);
      assert.equal(ports.h2c, config.grpcPort);
      assert.ok(container.env.some((e: Doc) => e.name === 'AUTH_JWT_SECRET' && e.valueFrom?.secretKeyRef));
    });
    it('reads the model repository where KServe mounts the storageUri', () => {
      assert.equal(config.modelRepository, '/mnt/models');
    });
    it('probes the protocol\'s own health routes on the HTTP port', () => {
      assert.equal(container.readinessProbe.httpGet.path, '/v2/health/ready');
      assert.equal(container.livenessProbe.httpGet.path, '/v2/health/live');
      assert.equal(container.readinessProbe.httpGet.port, config.port);
    });
  });

  describe('the InferenceService', () => {
    it('runs an onnx model on this runtime over v2', () => {
      const isvc = find('InferenceService');
      assert.equal(isvc.apiVersion, 'serving.kserve.io/v1beta1');
      const model = isvc.spec.predictor.model;
      assert.equal(model.runtime, runtime.metadata.name);
      assert.equal(model.modelFormat.name, 'onnx');
      assert.equal(model.protocolVersion, 'v2');
      assert.match(model.storageUri, /^[a-z0-9]+:\/\//);
    });
  });
});
