import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GatewayError } from '@kafka-gateway/server-kit';
import type { ConfigChange, ConfigEntry } from '../kafka/kafka-admin.service';
import { configFields, OwnedConfigs } from './config-resources';

function entry(name: string, value: string | null): ConfigEntry {
  return {
    name,
    value,
    isDefault: false,
    isReadOnly: false,
    isSensitive: false,
    source: 'DYNAMIC_TOPIC_CONFIG',
    synonyms: [{ name, value, source: 'DYNAMIC_TOPIC_CONFIG' }],
  };
}

function owner(exists = true): {
  configs: OwnedConfigs;
  altered: { changes: readonly ConfigChange[]; validateOnly: boolean }[];
} {
  const altered: { changes: readonly ConfigChange[]; validateOnly: boolean }[] = [];
  const configs = new OwnedConfigs({
    requireExists: () =>
      exists ? Promise.resolve() : Promise.reject(new GatewayError('topic_not_found', 'no topic')),
    entries: () => Promise.resolve([entry('retention.ms', '1000'), entry('cleanup.policy', null)]),
    alter: (changes, validateOnly) => {
      altered.push({ changes, validateOnly });
      return Promise.resolve();
    },
    notFound: (name) => new GatewayError('topic_config_not_found', `no ${name}`),
  });
  return { configs, altered };
}

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GatewayError) return e.code;
    throw e;
  }
  return undefined;
}

test('get: the named config, the owner 404 before the config 404', async () => {
  assert.equal((await owner().configs.get('retention.ms')).value, '1000');
  assert.equal(await code(owner().configs.get('nope')), 'topic_config_not_found');
  assert.equal(await code(owner(false).configs.get('retention.ms')), 'topic_not_found');
});

test('PUT and DELETE name a config that must exist, and nothing is altered otherwise', async () => {
  const { configs, altered } = owner();
  await configs.update('retention.ms', { value: '2000' });
  await configs.update('cleanup.policy', { value: null });
  await configs.reset('retention.ms');
  assert.deepEqual(
    altered.map((a) => a.changes),
    [
      [{ name: 'retention.ms', operation: 'SET', value: '2000' }],
      [{ name: 'cleanup.policy', operation: 'DELETE', value: null }],
      [{ name: 'retention.ms', operation: 'DELETE', value: null }],
    ],
  );
  assert.equal(
    await code(configs.update('unknown.config', { value: '1' })),
    'topic_config_not_found',
  );
  assert.equal(await code(configs.reset('unknown.config')), 'topic_config_not_found');
  assert.equal(altered.length, 3);
});

test('configs:alter passes every change and validate_only through, without the existence check', async () => {
  const { configs, altered } = owner();
  await configs.alterMany({
    data: [
      { name: 'new.config', value: 'x' },
      { name: 'retention.ms', operation: 'DELETE' },
    ],
    validate_only: true,
  });
  assert.equal(altered.length, 1);
  assert.equal(altered[0]!.validateOnly, true);
  assert.deepEqual(
    altered[0]!.changes.map((c) => [c.name, c.operation]),
    [
      ['new.config', 'SET'],
      ['retention.ms', 'DELETE'],
    ],
  );
  const missing = owner(false);
  assert.equal(await code(missing.configs.alterMany({ data: [] })), 'topic_not_found');
  assert.equal(missing.altered.length, 0);
});

test('configFields: the v3 field names, synonyms copied', () => {
  const e = entry('retention.ms', '1000');
  const f = configFields(e);
  assert.deepEqual(Object.keys(f), [
    'name',
    'value',
    'is_default',
    'is_read_only',
    'is_sensitive',
    'source',
    'synonyms',
  ]);
  assert.notEqual(f.synonyms, e.synonyms);
  assert.deepEqual(f.synonyms, [...e.synonyms]);
});
