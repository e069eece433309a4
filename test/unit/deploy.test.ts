/**
 * The Kubernetes manifests under deploy/, parsed: probes on the right routes
 * and port, a grace period longer than the drain, readiness that fails within
 * the drain delay, resources, Service / HPA / PodDisruptionBudget pointing at
 * the Deployment, the shared systems of API.md §12 (DATABASE_URL and
 * REDIS_URL from a Secret, the model repository on a ReadWriteMany claim).
 * Neither a cluster nor a Docker engine runs these files here: the tests
 * check what they say and what they reference (deploy-compose.test.ts does
 * the same for compose.yaml and nginx.conf).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { CONFIG_NAMES } from '../helpers/config-names.js';
import { ROOT } from '../helpers/process.js';

type Doc = Record<string, any>;

const docs: Doc[] = readdirSync(join(ROOT, 'deploy'))
  .filter((f) => f.endsWith('.yaml') && f !== 'compose.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(join(ROOT, 'deploy', f), 'utf8')).map((d) => {
    assert.deepEqual(d.errors, [], f);
    return d.toJS() as Doc;
  }));
const find = (kind: string) => docs.find((d) => d.kind === kind)!;
const deployment = find('Deployment');
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
/** The container's literal environment, as the service would read it. */
const env: Record<string, string> = Object.fromEntries(
  container.env.filter((e: Doc) => e.value !== undefined).map((e: Doc) => [e.name, String(e.value)]),
);

/** The service's config under the Deployment (the secret supplied as the Secret would). */
const deployed = () => loadConfig({ ...env, AUTH_JWT_SECRET: 'from-the-secret' });

describe('deploy/', () => {
  it('has a Deployment, a Service, a HorizontalPodAutoscaler, a PodDisruptionBudget, a PersistentVolumeClaim and a kustomization listing them', () => {
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'PersistentVolumeClaim', 'Kustomization']) assert.ok(find(kind), kind);
    const files = find('Kustomization').resources as string[];
    const manifests = readdirSync(join(ROOT, 'deploy')).filter((f) => f.endsWith('.yaml') && !['kustomization.yaml', 'compose.yaml'].includes(f));
    assert.deepEqual([...files].sort(), manifests.sort());
  });

  describe('the Deployment', () => {
    it('sets an environment the service accepts', () => {
      assert.equal(deployed().production, true);
      assert.ok(container.env.some((e: Doc) => e.name === 'AUTH_JWT_SECRET' && e.valueFrom?.secretKeyRef));
    });

    it('probes readiness on /api/v1/health/ready and liveness on /api/v1/health/live, on the listening port', () => {
      const port = container.ports.find((p: Doc) => p.name === 'http');
      assert.equal(port.containerPort, deployed().port);
      assert.equal(container.readinessProbe.httpGet.path, '/api/v1/health/ready');
      assert.equal(container.livenessProbe.httpGet.path, '/api/v1/health/live');
      assert.equal(container.readinessProbe.httpGet.port, 'http');
      assert.equal(container.livenessProbe.httpGet.port, 'http');
    });

    it('gives the drain more time than SHUTDOWN_DRAIN_MS + SHUTDOWN_TIMEOUT_MS before SIGKILL', () => {
      const config = deployed();
      assert.ok(pod.terminationGracePeriodSeconds * 1000 > config.shutdownDrainMs + config.shutdownTimeoutMs);
      const defaults = loadConfig({});
      assert.ok(pod.terminationGracePeriodSeconds * 1000 > defaults.shutdownDrainMs + defaults.shutdownTimeoutMs);
    });

    it('turns unready within the drain delay, so that traffic stops before the listener closes', () => {
      const { periodSeconds, failureThreshold } = container.readinessProbe;
      assert.ok(periodSeconds * failureThreshold * 1000 < deployed().shutdownDrainMs);
    });

    it('requests and limits CPU and memory', () => {
      for (const kind of ['requests', 'limits']) {
        assert.ok(container.resources[kind].cpu, kind);
        assert.ok(container.resources[kind].memory, kind);
      }
    });

    it('runs as the non-root user of the image', () => {
      assert.equal(pod.securityContext.runAsNonRoot, true);
      const user = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').match(/^USER (\d+)/m)![1];
      assert.equal(String(pod.securityContext.runAsUser), user);
    });

    it('mounts a writable volume at DATA_DIR', () => {
      assert.ok(container.volumeMounts.some((m: Doc) => m.mountPath === env.DATA_DIR));
    });

    it('names only variables the config schema knows', () => {
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
        for (const e of c.env ?? []) assert.ok(CONFIG_NAMES.has(e.name), `${c.name}: ${e.name}`);
      }
    });

    it('takes DATABASE_URL and REDIS_URL from a Secret, never inline (they carry passwords)', () => {
      for (const name of ['DATABASE_URL', 'REDIS_URL']) {
        const e = container.env.find((x: Doc) => x.name === name);
        assert.ok(e, name);
        assert.equal(e.value, undefined, name);
        assert.ok(e.valueFrom.secretKeyRef.name && e.valueFrom.secretKeyRef.key, name);
      }
    });

    it('runs several replicas', () => {
      assert.ok(deployment.spec.replicas >= 2);
    });

    it('mounts MODEL_REPOSITORY from the ReadWriteMany claim, which the seeding init container fills', () => {
      const mount = container.volumeMounts.find((m: Doc) => m.mountPath === env.MODEL_REPOSITORY);
      assert.ok(mount, 'a volume at MODEL_REPOSITORY');
      const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
      const claim = find('PersistentVolumeClaim');
      assert.equal(volume.persistentVolumeClaim.claimName, claim.metadata.name);
      assert.deepEqual(claim.spec.accessModes, ['ReadWriteMany']);
      assert.equal(mount.readOnly ?? false, false, 'management writes to it');
      const seed = pod.initContainers.find((c: Doc) => c.name === 'seed-models');
      assert.equal(seed.image, container.image);
      assert.ok(seed.volumeMounts.some((m: Doc) => m.name === mount.name && m.mountPath === env.MODEL_REPOSITORY));
      assert.match(seed.command.join(' '), /mv -T/);
    });
  });

  it('keeps a replica serving through voluntary disruptions (PodDisruptionBudget)', () => {
    const pdb = find('PodDisruptionBudget');
    assert.deepEqual(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels);
    const hpa = find('HorizontalPodAutoscaler');
    assert.ok(pdb.spec.maxUnavailable < hpa.spec.minReplicas);
  });

  it('routes the Service to the pods and the named port', () => {
    const service = find('Service');
    assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels);
    assert.ok(service.spec.ports.every((p: Doc) => p.targetPort === 'http'));
    for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) assert.equal(deployment.spec.template.metadata.labels[k], v);
  });

  it('scales the Deployment with the HPA', () => {
    const hpa = find('HorizontalPodAutoscaler');
    assert.equal(hpa.spec.scaleTargetRef.kind, 'Deployment');
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(hpa.spec.minReplicas >= 2);
    assert.ok(hpa.spec.maxReplicas > hpa.spec.minReplicas);
  });
});
