/**
 * deploy/compose.yaml and deploy/nginx.conf (API.md §12): PostgreSQL, Redis,
 * two replicas on one model volume, nginx in front. No Docker engine runs
 * here, so the files are parsed and what they reference is checked: the
 * replicas' environment is one the service accepts (after Compose's
 * variable substitution) and points at the compose services on their ports,
 * nginx balances over exactly the replicas on the port they listen on, the
 * files and build context exist, and nginx itself accepts the config
 * (`nginx -t`, with the service names resolved to loopback).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { ROOT } from '../helpers/process.js';
import { CONFIG_NAMES } from '../helpers/config-names.js';

type Doc = Record<string, any>;

const DEPLOY = join(ROOT, 'deploy');
const compose = parse(readFileSync(join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true }) as Doc;
const services = compose.services as Record<string, Doc>;
const nginxConf = readFileSync(join(DEPLOY, 'nginx.conf'), 'utf8');
const REPLICAS = ['replica-a', 'replica-b'];

/** Compose's `${VAR:-default}` / `${VAR:?message}` substitution, for a shell where only `vars` are set. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(/\$\{(\w+)(?::([-?])([^}]*))?\}/g, (_m, name: string, op?: string, arg?: string) => {
    if (vars[name] !== undefined && vars[name] !== '') return vars[name]!;
    if (op === '-') return arg ?? '';
    throw new Error(`${name} is required: ${arg}`);
  });
}

const replicaEnv = (name: string, vars: Record<string, string> = { AUTH_JWT_SECRET: 'x'.repeat(64) }): Record<string, string> =>
  Object.fromEntries(Object.entries(services[name]!.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v), vars)]));

/** Where nginx sends requests: the `server host:port` lines of its upstream. */
const upstreams = [...nginxConf.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => ({ host: m[1]!, port: Number(m[2]) }));

const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

describe('deploy/compose.yaml', () => {
  it('runs PostgreSQL, Redis, two replicas and nginx', () => {
    for (const name of ['postgres', 'redis', ...REPLICAS, 'nginx']) assert.ok(services[name], name);
  });

  describe('the replicas', () => {
    it('have an environment the service accepts, naming only variables the config schema knows', () => {
      for (const name of REPLICAS) {
        const env = replicaEnv(name);
        for (const key of Object.keys(env)) assert.ok(CONFIG_NAMES.has(key), `${name}: ${key}`);
        const config = loadConfig(env);
        assert.equal(config.production, true);
        assert.ok(config.databaseUrl && config.redisUrl);
      }
    });
    it('refuse to start without AUTH_JWT_SECRET from the shell (no secret is committed)', () => {
      assert.throws(() => replicaEnv('replica-a', {}), /AUTH_JWT_SECRET is required/);
    });
    it('point DATABASE_URL and REDIS_URL at the compose services, on their ports, with the database compose creates', () => {
      const env = replicaEnv('replica-a');
      const db = new URL(env.DATABASE_URL!);
      assert.equal(db.hostname, 'postgres');
      assert.equal(db.port || '5432', '5432');
      const pg = services.postgres!.environment as Record<string, string>;
      assert.equal(db.username, pg.POSTGRES_USER);
      assert.equal(decodeURIComponent(db.password), interpolate(pg.POSTGRES_PASSWORD!, {}));
      assert.equal(db.pathname, `/${pg.POSTGRES_DB}`);
      const redis = new URL(env.REDIS_URL!);
      assert.equal(redis.hostname, 'redis');
      assert.equal(redis.port || '6379', '6379');
    });
    it('share one model volume at MODEL_REPOSITORY, seeded before they start, and wait for PostgreSQL and Redis', () => {
      for (const name of REPLICAS) {
        const s = services[name]!;
        const env = replicaEnv(name);
        assert.ok((s.volumes as string[]).includes(`models:${env.MODEL_REPOSITORY}`), name);
        assert.equal(s.depends_on['seed-models'].condition, 'service_completed_successfully');
        assert.equal(s.depends_on.postgres.condition, 'service_healthy');
        assert.equal(s.depends_on.redis.condition, 'service_healthy');
      }
      assert.ok((services['seed-models']!.volumes as string[]).includes('models:/models'));
      assert.ok('models' in compose.volumes);
      assert.ok(services.postgres!.healthcheck && services.redis!.healthcheck);
    });
    it('build the image from the repository root, where the Dockerfile is', () => {
      const context = resolve(DEPLOY, services['replica-a']!.build.context);
      assert.ok(existsSync(join(context, 'Dockerfile')));
      assert.equal(services['replica-a']!.image, services['seed-models']!.image);
    });
  });

  describe('nginx', () => {
    it('mounts deploy/nginx.conf as its configuration and publishes the port it listens on', () => {
      const [source, target] = (services.nginx!.volumes as string[])[0]!.split(':');
      assert.ok(existsSync(resolve(DEPLOY, source!)));
      assert.equal(target, '/etc/nginx/nginx.conf');
      const listen = Number(/^\s*listen\s+(\d+)/m.exec(nginxConf)![1]);
      assert.equal(Number((services.nginx!.ports as string[])[0]!.split(':')[1]), listen);
    });
    it('balances over exactly the replicas, on the port they listen on', () => {
      assert.deepEqual(upstreams.map((u) => u.host).sort(), REPLICAS);
      for (const u of upstreams) assert.equal(u.port, loadConfig(replicaEnv(u.host)).port);
    });
    it('keeps upstream connections idle for less than the replicas\' keep-alive timeout', () => {
      const idle = Number(/keepalive_timeout\s+(\d+)s/.exec(nginxConf)![1]) * 1000;
      assert.ok(idle < loadConfig(replicaEnv('replica-a')).httpKeepAliveTimeoutMs);
    });
    it('is a configuration nginx accepts (nginx -t, the service names resolved to 127.0.0.1)', (t) => {
      if (!nginx) {
        t.skip('LOUD SKIP: nginx is not installed (.ci/run installs it); the config was not checked by nginx');
        return;
      }
      const dir = mkdtempSync(join(tmpdir(), 'onnx-serving-nginx-'));
      try {
        // nginx resolves upstream names at start; only the two server names change.
        const file = join(dir, 'nginx.conf');
        // nginx opens <prefix>/logs/error.log before it reads the config's error_log.
        mkdirSync(join(dir, 'logs'));
        writeFileSync(file, nginxConf.replace(/\b(replica-[ab]):(\d+)/g, '127.0.0.1:$2'));
        execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', file, '-g', `pid ${join(dir, 'nginx.pid')};`], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        assert.fail(`nginx -t refused deploy/nginx.conf: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
