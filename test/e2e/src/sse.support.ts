import { request } from 'node:http';

/** One Server-Sent Event as a client sees it. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/**
 * A minimal EventSource for tests: one HTTP request, the events parsed as they arrive (the
 * text/event-stream rules the gateway uses: `id`, `event`, `data` lines, comments ignored).
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  /** The body when the answer is not a stream (an error). */
  body = '';
  comments = 0;
  private waiters: (() => void)[] = [];
  private closeRequest: (() => void) | undefined;
  ended = false;

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.status = res.statusCode ?? 0;
        client.headers = res.headers;
        res.setEncoding('utf8');
        let pending = '';
        let current: SseEvent = { event: 'message', id: undefined, data: '' };
        res.on('data', (chunk: string) => {
          if (client.status !== 200) {
            client.body += chunk;
            return;
          }
          pending += chunk;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            if (line === '') {
              if (current.data !== '' || current.id !== undefined) client.events.push(current);
              current = { event: 'message', id: undefined, data: '' };
              client.wake();
            } else if (line.startsWith(':')) client.comments++;
            else if (line.startsWith('id: ')) current.id = line.slice(4);
            else if (line.startsWith('event: ')) current.event = line.slice(7);
            else if (line.startsWith('data: ')) current.data += line.slice(6);
          }
        });
        const end = (): void => {
          client.ended = true;
          client.wake();
        };
        res.on('end', end);
        res.on('error', end);
        res.on('close', end);
        client.closeRequest = () => req.destroy();
        if (client.status !== 200) res.once('end', () => resolve(client));
        else resolve(client);
      });
      req.on('error', (err) => {
        if (client.status === 0) reject(err);
      });
      req.end();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits until `count` events arrived (or the stream ended, or `timeoutMs` passed). */
  async until(count: number, timeoutMs = 30_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count && !this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events.slice(0, count);
  }

  close(): void {
    this.closeRequest?.();
  }
}
