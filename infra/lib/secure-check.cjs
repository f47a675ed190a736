// Checks every secured entry point of `infra/stack up --secure`, with kafkajs from the repo:
// each Kafka listener authenticates its identity as User:gateway (produce to an `allowed-` topic
// works, to any other topic fails with TOPIC_AUTHORIZATION_FAILED) and refuses wrong
// credentials, an untrusted CA, an expired or foreign client certificate; the registry answers
// over HTTPS; Redis over TLS with its ACL user. Exits 0 when every check passes.
// usage: node secure-check.cjs <run dir> [--quiet]   (`infra/stack check-secure` runs it)
//        node secure-check.cjs <run dir> --ready     only: each Kafka listener authenticates
//                                                    and answers DescribeCluster (the readiness
//                                                    check of `infra/stack up --secure`)
'use strict';
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');
const tls = require('node:tls');

const [runDir, ...flags] = process.argv.slice(2);
if (!runDir) {
  console.error('usage: node secure-check.cjs <run dir> [--quiet]');
  process.exit(2);
}
const quiet = flags.includes('--quiet') || flags.includes('--ready');
const repo = path.resolve(__dirname, '../..');
const { Kafka, logLevel } = require(require.resolve('kafkajs', { paths: [repo] }));

function readEnv(file) {
  const vars = {};
  if (!fs.existsSync(file)) return vars;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\s*export\s+([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return vars;
}
const env = {
  ...readEnv(path.join(runDir, 'stack.env')),
  ...readEnv(path.join(runDir, 'security.env')),
};
const need = (name) => {
  if (!env[name]) throw new Error(`${name} is missing from ${runDir}/security.env`);
  return env[name];
};
const file = (name) => fs.readFileSync(need(name), 'utf8');
const secret = (name) => file(name).trim();

const ALLOWED = `${need('KAFKA_ALLOWED_PREFIX')}stack-check`;
const DENIED = 'denied-stack-check';
const ca = file('TLS_CA_FILE');
const untrustedCa = file('TLS_UNTRUSTED_CA_FILE');
const scram = {
  username: need('KAFKA_SCRAM_USERNAME'),
  password: secret('KAFKA_SCRAM_PASSWORD_FILE'),
};
const plain = {
  username: need('KAFKA_PLAIN_USERNAME'),
  password: secret('KAFKA_PLAIN_PASSWORD_FILE'),
};
const client = { cert: file('TLS_CLIENT_CERT_FILE'), key: file('TLS_CLIENT_KEY_FILE') };

async function fetchToken(query = '') {
  const basic = Buffer.from(
    `${encodeURIComponent(need('OAUTH_CLIENT_ID'))}:${encodeURIComponent(secret('OAUTH_CLIENT_SECRET_FILE'))}`,
  ).toString('base64');
  const res = await fetch(`${need('OAUTH_TOKEN_URL')}${query}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (!res.ok) throw new Error(`token endpoint answered ${res.status}`);
  return (await res.json()).access_token;
}

const kafka = (brokers, extra) =>
  new Kafka({
    clientId: 'stack-secure-check',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    authenticationTimeout: 3000,
    retry: { retries: 0 },
    ...extra,
  });

// the listeners and how the gateway identity authenticates on each
const listeners = {
  'SCRAM-SHA-256 (SASL_SSL)': (o = {}) =>
    kafka(need('KAFKA_SASL_SSL_BROKERS'), {
      ssl: { ca: [o.ca ?? ca] },
      sasl: { mechanism: 'scram-sha-256', ...scram, ...o.sasl },
    }),
  'SCRAM-SHA-512 (SASL_SSL)': (o = {}) =>
    kafka(need('KAFKA_SASL_SSL_BROKERS'), {
      ssl: { ca: [o.ca ?? ca] },
      sasl: { mechanism: 'scram-sha-512', ...scram, ...o.sasl },
    }),
  'mTLS (SSL)': (o = {}) =>
    kafka(need('KAFKA_SSL_BROKERS'), { ssl: { ca: [o.ca ?? ca], ...(o.client ?? client) } }),
  'PLAIN (SASL_PLAINTEXT)': (o = {}) =>
    kafka(need('KAFKA_SASL_PLAINTEXT_BROKERS'), {
      ssl: false,
      sasl: { mechanism: 'plain', ...plain, ...o.sasl },
    }),
  'OAUTHBEARER (SASL_SSL)': (o = {}) =>
    kafka(need('KAFKA_OAUTH_BROKERS'), {
      ssl: { ca: [o.ca ?? ca] },
      sasl: {
        mechanism: 'oauthbearer',
        oauthBearerProvider: async () => ({ value: await fetchToken(o.tokenQuery) }),
      },
    }),
};

let failures = 0;
function report(ok, what, detail) {
  if (!ok) failures++;
  if (!ok || !quiet) console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ` (${detail})` : ''}`);
}

// the error and its causes, outermost first
function chain(e) {
  const out = [];
  for (let x = e; x && out.length < 8; x = x.cause ?? x.originalError) out.push(x);
  return out;
}
const describe = (e) =>
  chain(e)
    .map((x) => [x.name, x.type, x.code, x.message].filter(Boolean).join(' '))
    .join(' <- ')
    .replace(/\s+/g, ' ')
    .slice(0, 240);

async function produce(k, topic) {
  const producer = k.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: [{ value: `secure-check ${new Date().toISOString()}` }],
    });
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

// expectFailure(what, promise fn, predicate on the error chain)
async function expectFailure(what, fn, match) {
  try {
    await fn();
    report(false, what, 'unexpectedly succeeded');
  } catch (e) {
    report(chain(e).some(match), what, describe(e));
  }
}

async function expectSuccess(what, fn) {
  try {
    await fn();
    report(true, what);
  } catch (e) {
    report(false, what, describe(e));
  }
}

const kafkaLog = path.join(runDir, 'logs', 'kafka.log');
const kafkaLogSize = () => fs.statSync(kafkaLog).size;
// the first line matching re written to the broker's log after offset start (waits up to 3 s)
async function kafkaLogLine(start, re) {
  for (let i = 0; i < 30; i++) {
    const fd = fs.openSync(kafkaLog, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const buf = Buffer.alloc(Math.max(0, size - start));
      fs.readSync(fd, buf, 0, buf.length, start);
      const m = re.exec(buf.toString('utf8'));
      if (m) return m[0];
    } finally {
      fs.closeSync(fd);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

async function connectAdmin(k) {
  const admin = k.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

const isAuthz = (x) => x.type === 'TOPIC_AUTHORIZATION_FAILED';
const isAuthn = (x) =>
  x.name === 'KafkaJSSASLAuthenticationError' || x.type === 'SASL_AUTHENTICATION_FAILED';
const isUntrustedServer = (x) =>
  [
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
  ].includes(x.code) ||
  /self[- ]signed certificate|unable to (verify|get local issuer)/i.test(x.message ?? '');
// a refused client certificate: the broker's alert, or (TLS 1.3, where the client finishes the
// handshake first) the connection closing before the first answer
const isRefusedClientCert = (x) =>
  /alert|certificate|closed|ECONNRESET|EPIPE|socket hang up/i.test(
    `${x.code ?? ''} ${x.message ?? ''}`,
  ) || x.name === 'KafkaJSConnectionClosedError';

async function kafkaChecks() {
  const admin = kafka(env.KAFKA_BROKERS).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [ALLOWED, DENIED]
      .filter((t) => !existing.has(t))
      .map((topic) => ({ topic, numPartitions: 1 }));
    if (missing.length) await admin.createTopics({ topics: missing, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }

  for (const [name, make] of Object.entries(listeners)) {
    await expectSuccess(`${name}: produce to ${ALLOWED}`, () => produce(make(), ALLOWED));
    await expectFailure(
      `${name}: produce to ${DENIED} is TOPIC_AUTHORIZATION_FAILED`,
      () => produce(make(), DENIED),
      isAuthz,
    );
  }

  const wrong = { password: 'not-the-password' };
  for (const name of [
    'SCRAM-SHA-256 (SASL_SSL)',
    'SCRAM-SHA-512 (SASL_SSL)',
    'PLAIN (SASL_PLAINTEXT)',
  ]) {
    await expectFailure(
      `${name}: a wrong password is an authentication error`,
      () => connectAdmin(listeners[name]({ sasl: wrong })),
      isAuthn,
    );
  }
  // kafkajs 2.2.4 ignores the broker's OAUTHBEARER error challenge (RFC 7628 3.2.3): a refused
  // token shows as a closed connection, not as KafkaJSSASLAuthenticationError. The broker's log
  // line (OAuthBearerValidatorCallbackHandler, WARN) tells the reason.
  const oauth = listeners['OAUTHBEARER (SASL_SSL)'];
  const refusedToken = (query, reason) => async () => {
    const start = kafkaLogSize();
    try {
      await connectAdmin(oauth({ tokenQuery: query }));
    } catch (e) {
      const line = await kafkaLogLine(start, /Could not validate the access token.*/);
      if (line === undefined) throw e;
      throw Object.assign(new Error(line.slice(0, 160)), {
        code: reason.test(line) ? 'TOKEN_REFUSED' : 'OTHER',
        cause: e,
      });
    }
  };
  const isRefusedToken = (x) => x.code === 'TOKEN_REFUSED';
  await expectFailure(
    'OAUTHBEARER: a token signed by an untrusted key is refused',
    refusedToken('?key=untrusted', /Unable to find a suitable verification key/),
    isRefusedToken,
  );
  await expectFailure(
    'OAUTHBEARER: an expired token is refused',
    refusedToken('?ttl=-120', /no longer valid/),
    isRefusedToken,
  );

  for (const name of ['SCRAM-SHA-512 (SASL_SSL)', 'mTLS (SSL)', 'OAUTHBEARER (SASL_SSL)']) {
    await expectFailure(
      `${name}: a client trusting another CA refuses the broker`,
      () => connectAdmin(listeners[name]({ ca: untrustedCa })),
      isUntrustedServer,
    );
  }
  const mtls = listeners['mTLS (SSL)'];
  await expectFailure(
    'mTLS: an expired client certificate is refused',
    () =>
      connectAdmin(
        mtls({
          client: {
            cert: file('TLS_EXPIRED_CLIENT_CERT_FILE'),
            key: file('TLS_EXPIRED_CLIENT_KEY_FILE'),
          },
        }),
      ),
    isRefusedClientCert,
  );
  await expectFailure(
    'mTLS: a client certificate from another CA is refused',
    () =>
      connectAdmin(
        mtls({
          client: {
            cert: file('TLS_UNTRUSTED_CLIENT_CERT_FILE'),
            key: file('TLS_UNTRUSTED_CLIENT_KEY_FILE'),
          },
        }),
      ),
    isRefusedClientCert,
  );
  await expectFailure(
    'mTLS: no client certificate is refused',
    () => connectAdmin(mtls({ client: {} })),
    isRefusedClientCert,
  );
}

function httpsGet(url, options) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { timeout: 3000, ...options }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// RESP over TLS: AUTH + PING, resolves with the raw answer
function redisAuthPing(url, username, password, options) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: hostname, port: Number(port), servername: 'localhost', timeout: 3000, ...options },
      () => {
        socket.write(`AUTH ${username} ${password}\r\nPING\r\n`);
      },
    );
    let answer = '';
    socket.on('data', (d) => {
      answer += d;
      if (answer.split('\r\n').length > 2) {
        socket.end();
        resolve(answer);
      }
    });
    socket.on('timeout', () => socket.destroy(new Error('timeout')));
    socket.on('error', reject);
  });
}

async function otherChecks() {
  const registry = `${need('SCHEMA_REGISTRY_HTTPS_URL')}/subjects`;
  await expectSuccess(`registry over HTTPS (${registry})`, () => httpsGet(registry, { ca }));
  await expectFailure(
    'registry: a client trusting another CA refuses it',
    () => httpsGet(registry, { ca: untrustedCa }),
    isUntrustedServer,
  );

  const redisUrl = need('REDIS_TLS_URL');
  const user = need('REDIS_TLS_USERNAME');
  await expectSuccess(`redis over TLS as ${user} (${redisUrl})`, async () => {
    const answer = await redisAuthPing(redisUrl, user, secret('REDIS_TLS_PASSWORD_FILE'), { ca });
    if (answer !== '+OK\r\n+PONG\r\n') throw new Error(JSON.stringify(answer));
  });
  await expectSuccess('redis over TLS with the client certificate', async () => {
    const answer = await redisAuthPing(redisUrl, user, secret('REDIS_TLS_PASSWORD_FILE'), {
      ca,
      ...client,
    });
    if (answer !== '+OK\r\n+PONG\r\n') throw new Error(JSON.stringify(answer));
  });
  await expectFailure(
    'redis: a wrong password is WRONGPASS',
    async () => {
      const answer = await redisAuthPing(redisUrl, user, 'not-the-password', { ca });
      throw Object.assign(new Error(answer.trim()), {
        code: answer.startsWith('-WRONGPASS') ? 'WRONGPASS' : 'other',
      });
    },
    (x) => x.code === 'WRONGPASS',
  );
  await expectFailure(
    'redis: a client trusting another CA refuses it',
    () => redisAuthPing(redisUrl, user, 'x', { ca: untrustedCa }),
    isUntrustedServer,
  );
}

const timer = setTimeout(() => {
  console.log('FAIL secure check did not finish within 60 s');
  process.exit(1);
}, 60000);

(async () => {
  const t = Date.now();
  if (flags.includes('--ready')) {
    await Promise.all(
      Object.entries(listeners).map(([name, make]) =>
        expectSuccess(`${name}: DescribeCluster`, () => connectAdmin(make())),
      ),
    );
    process.exit(failures ? 1 : 0);
  }
  await kafkaChecks();
  await otherChecks();
  clearTimeout(timer);
  console.log(
    failures
      ? `${failures} secure check(s) failed`
      : `all secure checks passed in ${((Date.now() - t) / 1000).toFixed(1)}s`,
  );
  process.exit(failures ? 1 : 0);
})().catch((e) => {
  console.log(`FAIL ${describe(e)}`);
  process.exit(1);
});
