import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CorsConfig } from '../config/edge.config';
import { corsDecision } from './cors';

const config: CorsConfig = {
  allowedOrigins: ['https://app.example.com'],
  anyOrigin: false,
  allowedMethods: ['GET', 'POST', 'DELETE'],
  allowedHeaders: ['authorization', 'content-type'],
  exposedHeaders: ['Retry-After', 'X-Request-Id'],
  allowCredentials: true,
  maxAgeSeconds: 600,
};

test('an allowed preflight is answered with the origin, methods, asked headers and max age', () => {
  const d = corsDecision(
    config,
    'OPTIONS',
    'https://app.example.com',
    'POST',
    'Content-Type, Authorization',
  );
  assert.deepEqual(d, {
    kind: 'preflight',
    headers: {
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Methods': 'GET, POST, DELETE',
      'Access-Control-Allow-Headers': 'content-type, authorization',
      'Access-Control-Max-Age': '600',
    },
  });
});

test('preflights from another origin, or for another method or header, are refused', () => {
  assert.deepEqual(corsDecision(config, 'OPTIONS', 'https://evil.example', 'GET', undefined), {
    kind: 'refused',
    reason: 'origin not allowed',
  });
  assert.equal(
    corsDecision(config, 'OPTIONS', 'https://app.example.com', 'PATCH', undefined).kind,
    'refused',
  );
  assert.deepEqual(corsDecision(config, 'OPTIONS', 'https://app.example.com', 'GET', 'x-custom'), {
    kind: 'refused',
    reason: 'header x-custom not allowed',
  });
  assert.equal(
    corsDecision(config, 'OPTIONS', 'https://APP.example.com', 'GET', undefined).kind,
    'refused',
    'origins are compared exactly',
  );
});

test('actual requests: allowed origin gets CORS headers, another origin none, no Origin nothing', () => {
  assert.deepEqual(corsDecision(config, 'GET', 'https://app.example.com', undefined, undefined), {
    kind: 'actual',
    headers: {
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'Retry-After, X-Request-Id',
    },
  });
  assert.deepEqual(corsDecision(config, 'GET', 'https://evil.example', undefined, undefined), {
    kind: 'actual',
    headers: {},
  });
  assert.deepEqual(corsDecision(config, 'OPTIONS', undefined, 'GET', undefined), {
    kind: 'none',
  });
  assert.equal(
    corsDecision(config, 'OPTIONS', 'https://app.example.com', undefined, undefined).kind,
    'actual',
    'OPTIONS without Access-Control-Request-Method is not a preflight',
  );
});

test('`*` without credentials answers `*` for any origin', () => {
  const any: CorsConfig = {
    ...config,
    allowedOrigins: [],
    anyOrigin: true,
    allowCredentials: false,
  };
  const d = corsDecision(any, 'GET', 'https://whoever.example', undefined, undefined);
  assert.equal(d.kind === 'actual' && d.headers['Access-Control-Allow-Origin'], '*');
  assert.equal(d.kind === 'actual' && d.headers['Access-Control-Allow-Credentials'], undefined);
});
