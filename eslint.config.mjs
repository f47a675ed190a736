// Type-checked lint for every workspace; promise-safety rules are errors because an unawaited
// produce or commit is a lost message.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Each library has one home (STYLE.md): a leak is a lint error, not a review finding.
const LIBRARY_HOMES = {
  kafkajs: 'kafkajs lives in kafka/ folders only (and packages/server-kit/src/kafka).',
  ioredis:
    'ioredis lives in apps/consumer-gateway/src/routing and apps/producer-gateway/src/idempotency/redis-idempotency.store.ts only.',
  codec: 'avsc, protobufjs and ajv live in packages/codec only.',
  nest: 'packages/codec is framework-free: no @nestjs imports.',
  yaml: 'js-yaml lives in packages/server-kit/src/config/yaml.ts only (parseYaml).',
  auth: 'jose, @node-rs/bcrypt and @node-rs/argon2 live in packages/server-kit/src/auth only.',
  otel: '@opentelemetry/* lives in packages/server-kit/src/tracing only (TraceService).',
};
const restrict = {
  kafkajs: { name: 'kafkajs', message: LIBRARY_HOMES.kafkajs },
  ioredis: { name: 'ioredis', message: LIBRARY_HOMES.ioredis },
  yaml: { name: 'js-yaml', message: LIBRARY_HOMES.yaml },
  jose: { name: 'jose', message: LIBRARY_HOMES.auth },
  bcrypt: { name: '@node-rs/bcrypt', message: LIBRARY_HOMES.auth },
  argon2: { name: '@node-rs/argon2', message: LIBRARY_HOMES.auth },
};
const CODEC_LIBRARIES = {
  group: ['avsc', 'avsc/*', 'protobufjs', 'protobufjs/*', 'ajv', 'ajv/*', 'ajv-formats'],
  message: LIBRARY_HOMES.codec,
};
const NEST = { group: ['@nestjs/*'], message: LIBRARY_HOMES.nest };
const OTEL = { group: ['@opentelemetry/*'], message: LIBRARY_HOMES.otel };
/** no-restricted-imports with every library home except those named in `allowed`. */
function boundaries(...allowed) {
  const paths = Object.entries(restrict)
    .filter(([name]) => !allowed.includes(name))
    .map(([, path]) => path);
  const patterns = [allowed.includes('codec') ? NEST : CODEC_LIBRARIES];
  if (!allowed.includes('otel')) patterns.push(OTEL);
  return ['error', { paths, patterns }];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'infra/target/**', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through the config loader only.',
        },
      ],
      'no-restricted-imports': boundaries(),
    },
  },
  { files: ['**/kafka/**/*.ts'], rules: { 'no-restricted-imports': boundaries('kafkajs') } },
  {
    files: [
      'apps/consumer-gateway/src/routing/**/*.ts',
      'apps/producer-gateway/src/idempotency/redis-idempotency.store.ts',
    ],
    rules: { 'no-restricted-imports': boundaries('ioredis') },
  },
  {
    files: ['packages/server-kit/src/config/yaml.ts'],
    rules: { 'no-restricted-imports': boundaries('yaml') },
  },
  {
    files: ['packages/server-kit/src/auth/**/*.ts'],
    rules: { 'no-restricted-imports': boundaries('jose', 'bcrypt', 'argon2') },
  },
  {
    files: ['packages/server-kit/src/tracing/**/*.ts'],
    rules: { 'no-restricted-imports': boundaries('otel') },
  },
  {
    files: ['packages/codec/src/**/*.ts'],
    rules: { 'no-restricted-imports': boundaries('codec') },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*-spec.ts',
      '**/test/**/*.ts',
      '**/src/testing/**/*.ts',
      '**/*.test-support.ts',
      '**/config/*.ts',
      '**/src/main.ts',
      'bench/**/*.ts',
    ],
    rules: {
      'no-restricted-syntax': 'off',
      // tests and the bench read back with independent clients (kafkajs, avsc, protobufjs)
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // node:test's test()/describe() return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
);
