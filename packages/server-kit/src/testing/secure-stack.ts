import type { IncomingMessage, ServerResponse } from 'node:http';
import { setPrincipal } from '../auth/principal';
import { Secret } from '../config/secret';
import { readStackEnvFile } from './stack-env';

/** What a suite reads from the secure stack (`infra/stack up --secure`: security.env). */
export interface SecureStackSettings {
  /** A node:test skip reason when the stack or what the suite needs is missing; else false. */
  readonly skip: string | false;
  /** A security.env value; throws when it lacks the name. */
  get(name: string): string;
}

export function secureStackSettings(
  env: Readonly<Record<string, string | undefined>>,
  need: { readonly brokers?: boolean; readonly key?: string; readonly what?: string } = {},
): SecureStackSettings {
  const sec = readStackEnvFile(env['STACK_RUN_DIR'], 'security.env');
  const missing =
    sec === undefined ||
    (need.brokers === true && env['KAFKA_BROKERS'] === undefined) ||
    (need.key !== undefined && sec[need.key] === undefined);
  const with_ = need.what === undefined ? '' : ` with ${need.what}`;
  const vars = need.brokers === true ? 'STACK_RUN_DIR, KAFKA_BROKERS' : 'STACK_RUN_DIR';
  return {
    skip: missing ? `needs a secure stack${with_} (infra/stack up --secure; ${vars})` : false,
    get(name) {
      const v = sec?.[name];
      if (v === undefined) throw new Error(`security.env lacks ${name}`);
      return v;
    },
  };
}

/** How long a test bearer credential claims to be valid. */
const TEST_BEARER_TTL_MS = 600_000;

/**
 * Test-only Express middleware standing in for the gateway's authentication: the request's
 * principal from `x-test-user` (name:password, a Basic caller) or `x-test-bearer` (a token, a
 * JWT caller named `bearer-caller`).
 */
export function testPrincipalMiddleware(): (
  req: IncomingMessage,
  res: ServerResponse,
  next: () => void,
) => void {
  return (req, _res, next) => {
    const user = req.headers['x-test-user'];
    const bearer = req.headers['x-test-bearer'];
    if (typeof user === 'string') {
      const [name, password] = user.split(':') as [string, string];
      setPrincipal(req, {
        name,
        groups: [],
        mechanism: 'basic',
        credential: { kind: 'password', username: name, password: Secret.of(password) },
      });
    } else if (typeof bearer === 'string') {
      setPrincipal(req, {
        name: 'bearer-caller',
        groups: [],
        mechanism: 'jwt',
        credential: {
          kind: 'bearer',
          token: Secret.of(bearer),
          expiresAtMs: Date.now() + TEST_BEARER_TTL_MS,
        },
      });
    }
    next();
  };
}
