import { Pool } from 'undici';

/**
 * A keep-alive HTTP/1.1 client over undici: one pool per target with as many connections as
 * the row's concurrency, no pipelining (each worker has one request in flight, like a real
 * client waiting for its produce acknowledgement).
 */
export interface HttpAnswer {
  readonly status: number;
  readonly text: string;
}

export class HttpClient {
  private readonly pool: Pool;

  constructor(
    readonly origin: string,
    connections: number,
  ) {
    this.pool = new Pool(origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      headersTimeout: 120_000,
      bodyTimeout: 120_000,
    });
  }

  async request(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<HttpAnswer> {
    const res = await this.pool.request({
      method,
      path,
      headers:
        body === undefined
          ? headers
          : { 'content-length': String(Buffer.byteLength(body)), ...headers },
      body,
    });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  }

  /** Expects `status`; otherwise throws with the answer, so the row counts an error. */
  async expect(
    status: number,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<string> {
    const res = await this.request(method, path, headers, body);
    if (res.status !== status)
      throw new Error(`${method} ${path} answered ${res.status}: ${res.text.slice(0, 200)}`);
    return res.text;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
