/**
 * A client of a load test: one simulated user agent with its own loopback source address (all of
 * 127.0.0.0/8 is loopback on Linux, so each client is a different address to the proxy and to
 * keyward's throttles, with no header forged), keep-alive connections, a cookie jar, and the
 * retry a correct client does when the proxy or the network lost its request (SPEC §8: a process
 * may die or drain at any moment; its siblings answer the retry).
 */
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

/** What a client counts as its request having been lost, not answered: worth sending again. */
export const LOST_STATUSES = new Set([502, 503, 504]);

export interface RequestOptions {
  body?: unknown;
  /** A form body (application/x-www-form-urlencoded) instead of JSON. */
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sends to this origin instead of the public one (the same path): pins the request to one process. */
  via?: string;
}

export class LoadClient {
  readonly cookies = new Map<string, string>();
  /** Requests whose answer was lost (a status of LOST_STATUSES or a network error) and were sent again. */
  retries = 0;
  private readonly agent: http.Agent;

  /**
   * @param publicOrigin PUBLIC_URL's origin: sent as Origin (keyward's CSRF rule) and the default target.
   * @param localAddress the loopback address this client connects from, e.g. 127.0.3.7.
   */
  constructor(
    readonly publicOrigin: string,
    readonly localAddress: string,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 4, localAddress });
  }

  /** One request, sent once: the answer, or a thrown network error. */
  async once(method: string, url: string, options: RequestOptions = {}): Promise<Answer> {
    const target = new URL(url, this.publicOrigin);
    const base = new URL(options.via ?? this.publicOrigin);
    const payload = options.form
      ? new URLSearchParams(options.form).toString()
      : options.body === undefined
        ? undefined
        : JSON.stringify(options.body);
    const headers: Record<string, string> = { origin: this.publicOrigin, ...options.headers };
    if (payload !== undefined) headers['content-type'] = options.form ? 'application/x-www-form-urlencoded' : 'application/json';
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const answer = await new Promise<Answer>((resolve, reject) => {
      const request = http.request(
        {
          host: base.hostname,
          port: base.port,
          path: `${target.pathname}${target.search}`,
          method,
          headers,
          agent: this.agent,
          timeout: 20_000,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('error', reject);
          response.on('end', () => {
            let json: unknown = null;
            if (text && String(response.headers['content-type']).includes('json')) {
              try {
                json = JSON.parse(text);
              } catch {
                json = null;
              }
            }
            resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`${method} ${target.pathname}: no answer within 20 s`)));
      request.on('error', reject);
      request.end(payload);
    });
    for (const line of [answer.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1);
      if (!value || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return answer;
  }

  /**
   * The request, sent again (up to `attempts` times, 200 ms apart) while its answer is lost: a
   * 502/503/504 or a network error. `lost` tells the caller whether any attempt was, since an
   * attempt whose answer was lost may still have been carried out (a single-use code then spent).
   */
  async send(method: string, url: string, options: RequestOptions = {}, attempts = 8): Promise<Answer & { lost: boolean }> {
    let lost = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const answer = await this.once(method, url, options);
        if (!LOST_STATUSES.has(answer.status) || attempt === attempts) return { ...answer, lost };
      } catch (error) {
        if (attempt === attempts) throw error;
      }
      lost = true;
      this.retries += 1;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  post(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.send('POST', path, { ...options, body });
  }

  close(): void {
    this.agent.destroy();
  }
}
