/**
 * A real load balancer for tests: Debian's nginx, round robin over the given
 * upstreams, its configuration, logs and temporary files in a temporary
 * directory, on 127.0.0.1 and a free port; stopped by its pid even on failure.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './process.js';

export const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';

/** Why the nginx test cannot run here, or undefined. */
export const nginxMissing = (): string | undefined =>
  existsSync(NGINX) ? undefined : `nginx is not installed at ${NGINX} (.ci/run installs it: apt-get install nginx)`;

export interface TestNginx {
  url: string;
  /** The upstream (host:port) of every proxied request so far, from the access log. */
  upstreams(): string[];
  stop(): Promise<void>;
}

/** Starts nginx in front of `upstreams` (`host:port` each). */
export async function startNginx(upstreams: string[]): Promise<TestNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-test-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `
user root;
worker_processes 1;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  log_format upstream '$upstream_addr $status $request';
  access_log ${dir}/access.log upstream;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream replicas {
${upstreams.map((u) => `    server ${u};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 64m;
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
}
`);
  const child = spawn(NGINX, ['-p', dir, '-c', conf, '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await (await fetch(`${url}/api/v1/health/live`)).arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        await stop();
        throw new Error(`nginx did not start: ${err}`);
      }
      await sleep(100);
    }
  }
  return {
    url,
    upstreams: () => readFileSync(join(dir, 'access.log'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!),
    stop,
  };
}
