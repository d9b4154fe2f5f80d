/**
 * Real reverse proxies from Debian (nginx with auth_request, Caddy with forward_auth) in front of
 * a small echo application, each a foreground process on a loopback port with its own files in a
 * temp dir. Their site configuration is the one docs/forward-auth.md shows
 * (examples/forward-auth/): the harness only points its addresses at the test's ports, and fails
 * when a line it must replace is no longer there, so the documented file is the tested one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './server-process.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NGINX_EXAMPLE = path.join(root, 'examples', 'forward-auth', 'nginx.conf');
export const CADDY_EXAMPLE = path.join(root, 'examples', 'forward-auth', 'Caddyfile');
/** nginx as the load balancer in front of several keyward processes (docs/operations.md). */
export const NGINX_BALANCER_EXAMPLE = path.join(root, 'examples', 'operations', 'nginx.conf');
const NGINX_BINARY = process.env.NGINX_BINARY ?? '/usr/sbin/nginx';
const CADDY_BINARY = process.env.CADDY_BINARY ?? '/usr/bin/caddy';
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

export function nginxInstalled(): boolean {
  return fs.existsSync(NGINX_BINARY);
}

export function caddyInstalled(): boolean {
  return fs.existsSync(CADDY_BINARY);
}

/** What the echo application saw of one request. */
export interface EchoedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface EchoApp {
  port: number;
  /** Every request that reached the application, oldest first. */
  readonly seen: EchoedRequest[];
  stop(): Promise<void>;
}

/**
 * The protected application: knows nothing of keyward and answers every request with what it
 * received (method, URL, headers) as JSON, so a test reads exactly what the proxy passed on.
 */
export async function startEcho(): Promise<EchoApp> {
  const seen: EchoedRequest[] = [];
  const server = http.createServer((request, response) => {
    const echoed = { method: request.method ?? '', url: request.url ?? '', headers: request.headers };
    seen.push(echoed);
    request.resume();
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(JSON.stringify(echoed));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface Proxy {
  /** http://127.0.0.1:PORT: where the proxy listens (any Host header is served). */
  origin: string;
  port: number;
  /** The configuration it runs with, after the harness replaced the addresses. */
  config: string;
  /** What the proxy wrote to its logs so far. */
  log(): string;
  stop(): Promise<void>;
}

export interface ProxyTargets {
  /** keyward's port on 127.0.0.1. */
  keywardPort: number;
  /** The protected application's port on 127.0.0.1. */
  appPort: number;
}

/** Replaces `from` with `to` in `text`, exactly once: the documented file must still say `from`. */
function replaceOnce(text: string, from: string | RegExp, to: string, file: string): string {
  const pattern =
    typeof from === 'string'
      ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'g')
      : new RegExp(from.source, `${from.flags.replace('g', '')}g`);
  const count = [...text.matchAll(pattern)].length;
  if (count !== 1) throw new Error(`${path.relative(root, file)}: expected "${String(from)}" once, found it ${count} times`);
  return text.replace(pattern, to);
}

/** The documented nginx site, listening on `port` for any host, with the test's addresses. */
export function nginxSite(port: number, targets: ProxyTargets): string {
  let site = fs.readFileSync(NGINX_EXAMPLE, 'utf8');
  site = replaceOnce(site, 'server 127.0.0.1:3000;', `server 127.0.0.1:${targets.keywardPort};`, NGINX_EXAMPLE);
  site = replaceOnce(site, 'server 127.0.0.1:8080;', `server 127.0.0.1:${targets.appPort};`, NGINX_EXAMPLE);
  site = replaceOnce(site, 'listen 80;', `listen 127.0.0.1:${port};`, NGINX_EXAMPLE);
  // The test's hosts are random names per test (one protected application each), all served here.
  return replaceOnce(site, 'server_name app.example.com;', 'server_name _;', NGINX_EXAMPLE);
}

/** The documented Caddyfile, listening on `port` over plain HTTP for any host, with the test's addresses. */
export function caddySite(port: number, targets: ProxyTargets): string {
  let site = fs.readFileSync(CADDY_EXAMPLE, 'utf8');
  site = replaceOnce(site, /^app\.example\.com \{$/m, `http://:${port} {\n\tbind 127.0.0.1`, CADDY_EXAMPLE);
  site = site.replaceAll('127.0.0.1:3000', `127.0.0.1:${targets.keywardPort}`);
  site = replaceOnce(site, 'reverse_proxy 127.0.0.1:8080', `reverse_proxy 127.0.0.1:${targets.appPort}`, CADDY_EXAMPLE);
  // Caddy's admin endpoint would take port 2019 for every test proxy: off, as is its own HTTPS.
  return `{\n\tadmin off\n\tauto_https off\n}\n\n${site}`;
}

/**
 * The documented load balancer, listening on `port` for any host, its three `server` lines
 * pointed at `keywardPorts` (the file lists 3001, 3002 and 3003).
 */
export function nginxBalancerSite(port: number, keywardPorts: [number, number, number]): string {
  let site = fs.readFileSync(NGINX_BALANCER_EXAMPLE, 'utf8');
  keywardPorts.forEach((keywardPort, index) => {
    site = replaceOnce(site, `server 127.0.0.1:${3001 + index} `, `server 127.0.0.1:${keywardPort} `, NGINX_BALANCER_EXAMPLE);
  });
  site = replaceOnce(site, 'listen 80;', `listen 127.0.0.1:${port};`, NGINX_BALANCER_EXAMPLE);
  return replaceOnce(site, 'server_name login.example.com;', 'server_name _;', NGINX_BALANCER_EXAMPLE);
}

/** nginx in the foreground (`daemon off`), one worker, its pid and temp files in `dir`. */
export function startNginx(targets: ProxyTargets): Promise<Proxy> {
  return startNginxWith((port) => nginxSite(port, targets));
}

/** nginx as the documented load balancer in front of three keyward processes (on 127.0.0.1). */
export function startNginxBalancer(keywardPorts: [number, number, number], port?: number): Promise<Proxy> {
  return startNginxWith((listen) => nginxBalancerSite(listen, keywardPorts), port);
}

/** `port`: where it listens, when the test had to know it before (keyward's PUBLIC_URL); a free one otherwise. */
async function startNginxWith(site: (port: number) => string, fixedPort?: number): Promise<Proxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-nginx-'));
  const port = fixedPort ?? (await freePort());
  const asRoot = process.getuid?.() === 0;
  const config = [
    // Started as root, nginx's worker would run as nobody and could not read the temp dir.
    ...(asRoot ? ['user root;'] : []),
    'worker_processes 1;',
    'daemon off;',
    `pid ${dir}/nginx.pid;`,
    `error_log ${dir}/error.log info;`,
    'events { worker_connections 256; }',
    'http {',
    // Which process answered each request (and which failed first): what a failing test shows.
    `  log_format upstreams '$remote_addr "$request" $status upstream=$upstream_addr ($upstream_status)';`,
    `  access_log ${dir}/access.log upstreams;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `  ${name}_temp_path ${dir}/${name};`),
    site(port)
      .split('\n')
      .map((line) => (line ? `  ${line}` : line))
      .join('\n'),
    '}',
    '',
  ].join('\n');
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, config);
  const checked = spawnSync(NGINX_BINARY, ['-t', '-p', dir, '-c', file], { encoding: 'utf8' });
  if (checked.status !== 0) throw new Error(`nginx -t refused the configuration:\n${checked.stderr}\n${config}`);
  const child = spawn(NGINX_BINARY, ['-p', dir, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = collect(child, [path.join(dir, 'error.log'), path.join(dir, 'access.log')]);
  return running({ name: 'nginx', child, port, config, log, dir });
}

/** Caddy in the foreground (`caddy run`), its data and config dirs in `dir`. */
export async function startCaddy(targets: ProxyTargets): Promise<Proxy> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyward-caddy-'));
  const port = await freePort();
  const config = caddySite(port, targets);
  const file = path.join(dir, 'Caddyfile');
  fs.writeFileSync(file, config);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: path.join(dir, 'data'), XDG_CONFIG_HOME: path.join(dir, 'config') };
  const checked = spawnSync(CADDY_BINARY, ['validate', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8', env });
  if (checked.status !== 0) throw new Error(`caddy validate refused the configuration:\n${checked.stderr}\n${config}`);
  const child = spawn(CADDY_BINARY, ['run', '--config', file, '--adapter', 'caddyfile'], { stdio: ['ignore', 'pipe', 'pipe'], env });
  const log = collect(child, []);
  return running({ name: 'caddy', child, port, config, log, dir });
}

/** The process's output and the given log files, as one text. */
function collect(child: ChildProcess, files: string[]): () => string {
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  return () => {
    const logs = files.map((file) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    });
    return [output, ...logs].join('\n');
  };
}

/** Waits until the proxy answers on its port (any status), or fails with its log. */
async function running(proxy: {
  name: string;
  child: ChildProcess;
  port: number;
  config: string;
  log: () => string;
  dir: string;
}): Promise<Proxy> {
  const { child, port } = proxy;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(proxy.dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) {
      const log = proxy.log();
      await stop();
      throw new Error(`${proxy.name} exited with ${child.exitCode}:\n${log}`);
    }
    if (await answers(port)) break;
    if (Date.now() > deadline) {
      const log = proxy.log();
      await stop();
      throw new Error(`${proxy.name} did not answer on 127.0.0.1:${port} within ${START_TIMEOUT_MS} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { origin: `http://127.0.0.1:${port}`, port, config: proxy.config, log: proxy.log, stop };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/.keyward-harness-probe', timeout: 1_000 }, (response) => {
      response.resume();
      resolve(true);
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

export interface ProxyAnswer {
  status: number;
  location: string | null;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request to the proxy as a browser at `http://{host}` would send it (Host header and
 * cookies of `jar`, which Set-Cookie answers update), over node:http: `fetch` cannot set Host.
 */
export function throughProxy(
  proxy: Proxy,
  url: URL,
  jar: Map<string, string>,
  extraHeaders: Record<string, string> = {},
): Promise<ProxyAnswer> {
  const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const headers: Record<string, string> = {
    host: url.host,
    accept: 'text/html,application/xhtml+xml',
    'sec-fetch-mode': 'navigate',
    'sec-fetch-dest': 'document',
    ...(cookie ? { cookie } : {}),
    ...extraHeaders,
  };
  return new Promise((resolve, reject) => {
    const request = http.get(
      { host: '127.0.0.1', port: proxy.port, path: `${url.pathname}${url.search}`, headers, timeout: 10_000 },
      (response) => {
        for (const line of response.headers['set-cookie'] ?? []) {
          const [name, ...rest] = line.split(';')[0]!.split('=');
          const value = rest.join('=');
          if (!value || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name!.trim());
          else jar.set(name!.trim(), value);
        }
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, location: response.headers.location ?? null, headers: response.headers, body }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer from ${url.href} through the proxy within 10 s`)));
    request.on('error', reject);
  });
}
