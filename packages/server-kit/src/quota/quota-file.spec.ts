import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { parseQuotaFile, QuotaFile } from './quota-file';

test('YAML and JSON quota files give the same overrides; 0 lifts a quota; burst defaults to the rate', () => {
  const yaml = parseQuotaFile(
    [
      'principals:',
      '  alice:',
      '    produce_bytes_per_second: 1000',
      '    produce_bytes_burst: 4000',
      '  loader:',
      '    produce_requests_per_second: 0',
      '    fetch_bytes_per_second: 50',
    ].join('\n'),
  );
  const json = parseQuotaFile(
    JSON.stringify({
      principals: {
        alice: { produce_bytes_per_second: 1000, produce_bytes_burst: 4000 },
        loader: { produce_requests_per_second: 0, fetch_bytes_per_second: 50 },
      },
    }),
  );
  assert.deepEqual([...yaml], [...json]);
  assert.deepEqual(yaml.get('alice'), { produceBytes: { perSecond: 1000, burst: 4000 } });
  assert.deepEqual(yaml.get('loader'), {
    produceRequests: null,
    fetchBytes: { perSecond: 50, burst: 50 },
  });
});

test('a bad quota file names every problem', () => {
  assert.throws(
    () =>
      parseQuotaFile(
        JSON.stringify({
          principals: {
            a: { produce_bytes_per_second: -1, fetch_bytes_burst: 5, colour: 'red' },
            b: 'fast',
          },
        }),
      ),
    (err: Error) =>
      /a: unknown key "colour"/.test(err.message) &&
      /a: produce_bytes_per_second must be a non-negative integer/.test(err.message) &&
      /a: fetch_bytes_burst needs fetch_bytes_per_second/.test(err.message) &&
      /b: must be an object/.test(err.message),
  );
  assert.throws(() => parseQuotaFile('principals: [1, 2'), /not JSON or YAML/);
  assert.throws(() => parseQuotaFile('users: {}'), /one key, "principals"/);
  assert.deepEqual([...parseQuotaFile('')], [], 'an empty file overrides nothing');
});

test('the quota file is re-read when it changes; a bad edit keeps the previous overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quota-file-'));
  try {
    const path = join(dir, 'quotas.yaml');
    writeFileSync(path, 'principals:\n  alice:\n    produce_requests_per_second: 5\n');
    const seen: unknown[] = [];
    const file = new QuotaFile(path, pino({ level: 'silent' }), (o) => seen.push(o.get('alice')));
    assert.deepEqual(seen, [{ produceRequests: { perSecond: 5, burst: 5 } }]);
    assert.equal(file.recheck(), false, 'unchanged: not re-read');
    writeFileSync(path, 'principals:\n  alice:\n    produce_requests_per_second: 70\n');
    assert.equal(file.recheck(), true);
    assert.deepEqual(seen.at(-1), { produceRequests: { perSecond: 70, burst: 70 } });
    writeFileSync(path, 'principals:\n  alice:\n    produce_requests_per_second: lots\n');
    assert.equal(file.recheck(), false, 'a bad edit is not applied');
    assert.equal(seen.length, 2);
    file.close();
    writeFileSync(path, 'principals: nope');
    assert.throws(
      () => new QuotaFile(path, pino({ level: 'silent' }), () => undefined),
      /QUOTA_FILE=.*quotas\.yaml/,
      'a bad file at start stops the start, naming the file',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
