/** A cookie-keeping fetch client for a real server process (what a browser's fetch would send). */
export class HttpClient {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
    const headers: Record<string, string> = { origin: this.origin };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      const value = rest.join('=');
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null, headers: response.headers };
  }

  post(path: string, body?: unknown) {
    return this.request('POST', path, body);
  }
}
