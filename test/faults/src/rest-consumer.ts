import { describe, env, sleep, uid } from './harness';

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const ID = /r[0-9a-f]{8}-\d+-\d+x/g;

/**
 * A REST consumer client that keeps reading and committing through the entry point and, when
 * its instance is gone (40403 after a restart of the replica that held it), recreates it in the
 * same group and resumes from the committed offsets.
 */
export class RestConsumerLoop {
  readonly seen = new Map<string, number>();
  recreated = 0;
  notFound = 0;
  failed: string[] = [];
  /** When each failure in `failed` happened (ms since the epoch). */
  failedAt: number[] = [];
  private base = '';
  private running = true;
  private loop: Promise<void> | undefined;
  readonly group = uid('faults-g');

  constructor(private readonly topic: string) {}

  async start(): Promise<this> {
    await this.create();
    this.loop = this.run();
    return this;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await fetch(this.base, { method: 'DELETE', headers: { 'content-type': V2 } }).catch(
      () => undefined,
    );
  }

  private async create(): Promise<void> {
    const res = await fetch(`${env.gatewayUrl}/consumers/${this.group}`, {
      method: 'POST',
      headers: { 'content-type': V2 },
      body: JSON.stringify({
        name: uid('i'),
        format: 'binary',
        'auto.offset.reset': 'earliest',
        'auto.commit.enable': 'false',
      }),
    });
    if (res.status !== 200) throw new Error(`create consumer: ${res.status} ${await res.text()}`);
    // the path of base_uri, on the entry point the suite uses (base_uri names the public URL
    // the replica was configured with)
    this.base =
      env.gatewayUrl + new URL(((await res.json()) as { base_uri: string }).base_uri).pathname;
    const sub = await fetch(`${this.base}/subscription`, {
      method: 'POST',
      headers: { 'content-type': V2 },
      body: JSON.stringify({ topics: [this.topic] }),
    });
    if (sub.status !== 204) throw new Error(`subscribe: ${sub.status} ${await sub.text()}`);
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const res = await fetch(`${this.base}/records?timeout=500&max_bytes=1000000`, {
          headers: { accept: BINARY },
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        if (res.status === 404 && text.includes('40403')) {
          this.notFound++;
          await this.create();
          this.recreated++;
          continue;
        }
        if (res.status !== 200) {
          this.failed.push(`GET records ${res.status} ${text.slice(0, 120)}`);
          this.failedAt.push(Date.now());
          await sleep(500);
          continue;
        }
        const records = JSON.parse(text) as { value: string | null }[];
        for (const r of records) {
          const v = Buffer.from(r.value ?? '', 'base64').toString('latin1');
          for (const id of v.match(ID) ?? []) this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
        }
        if (records.length > 0) {
          const commit = await fetch(`${this.base}/offsets`, {
            method: 'POST',
            headers: { 'content-type': V2 },
          });
          if (commit.status === 404) continue; // instance gone: recreated on the next poll
          if (commit.status !== 200 && commit.status !== 204) {
            this.failed.push(`commit ${commit.status} ${(await commit.text()).slice(0, 120)}`);
            this.failedAt.push(Date.now());
          }
        }
      } catch (err) {
        this.failed.push(describe(err));
        this.failedAt.push(Date.now());
        await sleep(500);
      }
    }
  }
}
