/**
 * Health for load balancers and Kubernetes (API.md §2): no auth, no rate
 * limit, no inference. `/health` and `/health/ready` are readiness; `/live`
 * only says the event loop answers.
 */
import { Router, type Request, type Response } from 'express';
import { serviceUnavailable } from '../../errors.js';
import type { ModelRegistry } from '../../inference/serving/registry.js';
import type { ProviderSelector } from '../../inference/runtime/execution-providers.js';
import type { Lifecycle } from '../../lifecycle.js';
import { dependencyReport, type Dependency } from '../../dependencies.js';
import { sendError, sendSuccess } from '../envelope.js';
import { route } from '../route.js';

export interface HealthDeps {
  registry: ModelRegistry;
  lifecycle: Lifecycle;
  providers: ProviderSelector;
  version: string;
  /** PostgreSQL / Redis when configured (API.md §12); a dependency that is down degrades status, not readiness. */
  dependencies?: readonly Dependency[];
}

type HealthStatus = 'ok' | 'degraded' | 'starting' | 'draining';

export function healthRouter({ registry, lifecycle, providers, version, dependencies = [] }: HealthDeps): Router {
  function report() {
    const versions = registry.allVersions();
    const models = versions.map((v) => ({ name: v.name, version: v.version, state: v.state }));
    const ready = versions.some((v) => v.state === 'ready');
    const failed = versions.some((v) => v.state === 'failed') || registry.list().some((e) => e.versions.size === 0);
    const deps = dependencyReport(dependencies);
    const depDown = Object.values(deps).includes('unavailable');
    let status: HealthStatus;
    if (lifecycle.draining) status = 'draining';
    else if (!lifecycle.started) status = 'starting';
    else if (!ready || failed || depDown) status = 'degraded';
    else status = 'ok';
    const served = versions.find((v) => v.state === 'ready')?.executionProvider;
    const data = {
      status,
      version,
      uptime_s: lifecycle.uptimeSeconds(),
      execution_provider: served ?? providers.preferred,
      models,
      dependencies: deps,
    };
    return { data, serving: lifecycle.started && !lifecycle.draining && ready };
  }

  function readiness(_req: Request, res: Response): void {
    const { data, serving } = report();
    if (serving) return sendSuccess(res, data);
    const why = {
      draining: 'The service is draining for shutdown',
      starting: 'The service is starting; models are loading',
      degraded: 'No model is ready',
      ok: 'No model is ready',
    }[data.status];
    sendError(res, serviceUnavailable(why), data);
  }

  const router = Router();
  route(router, '/health', { GET: [readiness] });
  route(router, '/health/ready', { GET: [readiness] });
  route(router, '/health/live', {
    GET: [(_req, res) => sendSuccess(res, { status: 'alive' })],
  });
  return router;
}
