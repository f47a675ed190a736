import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { Request, Response } from 'express';
import { FORWARD_TOKEN, FORWARDED_BY, type ForwardOutcome, Forwarder } from './forwarder';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A front server whose every request is forwarded to `ownerUrl`; answers the outcomes seen. */
async function front(
  ownerUrl: string,
): Promise<{ url: string; outcomes: ForwardOutcome[]; close(): void }> {
  const forwarder = new Forwarder('replica-front', 'secret-token-0123456789', 300);
  const outcomes: ForwardOutcome[] = [];
  const server = createServer((req, res) => {
    const r = Object.assign(req, { originalUrl: req.url }) as unknown as Request;
    void forwarder.forward(r, res as unknown as Response, ownerUrl).then((o) => {
      outcomes.push(o);
      if (o !== 'forwarded' && !res.headersSent) res.writeHead(599).end(o);
    });
  });
  const url = await listen(server);
  return {
    url,
    outcomes,
    close: () => {
      forwarder.close();
      server.close();
    },
  };
}

function send(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('status, headers and body go through unchanged; hop-by-hop headers do not; token added', async () => {
  let seen:
    { method?: string; url?: string; headers: IncomingHttpHeaders; body: string } | undefined;
  const owner = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen = { method: req.method, url: req.url, headers: req.headers, body };
      res.writeHead(207, { 'content-type': 'application/vnd.kafka.v2+json', 'x-owner': 'yes' });
      res.end('{"answer":42}');
    });
  });
  const ownerUrl = await listen(owner);
  const f = await front(ownerUrl);
  try {
    const res = await send(`${f.url}/consumers/g/instances/i/offsets?x=1`, '{"offsets":[]}', {
      'content-type': 'application/vnd.kafka.v2+json',
      'proxy-authorization': 'Basic abc',
      te: 'trailers',
    });
    assert.equal(res.status, 207);
    assert.equal(res.headers['x-owner'], 'yes');
    assert.equal(res.body, '{"answer":42}');
    assert.equal(seen?.method, 'POST');
    assert.equal(seen?.url, '/consumers/g/instances/i/offsets?x=1');
    assert.equal(seen?.body, '{"offsets":[]}');
    assert.equal(seen?.headers['content-type'], 'application/vnd.kafka.v2+json');
    assert.equal(seen?.headers[FORWARD_TOKEN], 'secret-token-0123456789');
    assert.equal(seen?.headers[FORWARDED_BY], 'replica-front');
    assert.equal(seen?.headers['proxy-authorization'], undefined);
    assert.deepEqual(f.outcomes, ['forwarded']);
  } finally {
    f.close();
    owner.close();
  }
});

test('an owner that refuses connections is reported unreachable (nothing sent to the client yet)', async () => {
  const gone = createServer();
  const goneUrl = await listen(gone);
  await new Promise<void>((r) => gone.close(() => r()));
  const f = await front(goneUrl);
  try {
    const res = await send(`${f.url}/consumers/g/instances/i/records`, '', {});
    assert.equal(res.status, 599);
    assert.equal(res.body, 'owner_unreachable');
  } finally {
    f.close();
  }
});

test('an owner that accepts but fails before answering is owner_failed, not gone', async () => {
  const broken = createServer((req) => req.socket.destroy());
  const url = await listen(broken);
  const f = await front(url);
  try {
    const res = await send(`${f.url}/consumers/g/instances/i/records`, '', {});
    assert.equal(res.body, 'owner_failed');
  } finally {
    f.close();
    broken.close();
  }
});

test("a cached owner's 404 is discarded (owner_lost) and the bodiless request can go to the new owner", async () => {
  const old = createServer((_req, res) =>
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error_code":40403,"message":"Consumer instance not found."}'),
  );
  const current = createServer((req, res) => res.writeHead(200).end(`from current ${req.method}`));
  const oldUrl = await listen(old);
  const currentUrl = await listen(current);
  const forwarder = new Forwarder('replica-front', 'secret-token-0123456789', 300);
  const seen: ForwardOutcome[] = [];
  const server = createServer((req, res) => {
    const r = Object.assign(req, { originalUrl: req.url }) as unknown as Request;
    const w = res as unknown as Response;
    void (async () => {
      seen.push(await forwarder.forward(r, w, oldUrl, { notFoundIsStale: true }));
      seen.push(await forwarder.forward(r, w, currentUrl));
    })();
  });
  const url = await listen(server);
  try {
    const got = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/consumers/g/instances/i/records`, { method: 'GET' }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.deepEqual(seen, ['owner_lost', 'forwarded']);
    assert.equal(got.status, 200);
    assert.equal(got.body, 'from current GET', "the old owner's 404 never reached the client");
  } finally {
    forwarder.close();
    server.close();
    old.close();
    current.close();
  }
});

test('without the flag an owner 404 goes to the client unchanged', async () => {
  const owner = createServer((_req, res) => res.writeHead(404).end('gone'));
  const f = await front(await listen(owner));
  try {
    const res = await send(`${f.url}/consumers/g/instances/i/records`, '', {});
    assert.equal(res.status, 404);
    assert.equal(res.body, 'gone');
    assert.deepEqual(f.outcomes, ['forwarded']);
  } finally {
    f.close();
    owner.close();
  }
});
