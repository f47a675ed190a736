import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { readCommonConfig } from './common.config';
import { deepFreeze, EnvReader } from './env-reader';
import { Secret } from './secret';
import { saslOptions } from '../kafka/kafka-client.factory';

const dir = mkdtempSync(join(tmpdir(), 'secret-'));

test('a file secret in a deep-frozen configuration (as the loaders freeze it) reads and re-reads', () => {
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'first-value\n');
  const r = new EnvReader({
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: 'gateway',
    KAFKA_SASL_PASSWORD_FILE: pw,
  });
  const config = deepFreeze(readCommonConfig(r, { clientId: 'x' }));
  r.done();
  const sasl = config.kafka.sasl!;
  assert.ok(Object.isFrozen(sasl) && sasl.mechanism !== 'OAUTHBEARER');
  assert.ok(Object.isFrozen(sasl.password));
  // before: "Cannot assign to read only property 'cached'" on the first read
  assert.equal(sasl.password.value(), 'first-value');
  const opts = saslOptions(sasl) as { password: string };
  assert.equal(opts.password, 'first-value');
  writeFileSync(pw, 'second-value');
  utimesSync(pw, new Date(), new Date(Date.now() + 5000)); // a different mtime, whatever the clock
  assert.equal(opts.password, 'second-value', 'the rotated file is read by the next connection');
});

test('a frozen Secret still prints as [redacted], its cache included', () => {
  const p = join(dir, 'other');
  writeFileSync(p, 'do-not-print');
  const s = deepFreeze(Secret.fromFile(p));
  assert.equal(s.value(), 'do-not-print');
  for (const shown of [
    String(s),
    JSON.stringify({ s }),
    inspect(s, { depth: 5, showHidden: true }),
  ]) {
    assert.ok(!shown.includes('do-not-print'), shown);
  }
});
