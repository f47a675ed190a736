import type { EnvReader } from './env-reader';

/** The SASL mechanism a Basic-authenticated caller's username and password are sent with. */
export type PropagationSaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
const MECHANISMS = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const;

/**
 * What a request without a usable credential (anonymous, mTLS) does while propagation is on:
 * `refuse` answers 401/40101, `gateway` runs it as the gateway's own Kafka identity.
 */
export type PropagationFallback = 'refuse' | 'gateway';
export const PROPAGATION_FALLBACKS: readonly PropagationFallback[] = ['refuse', 'gateway'];

/** Principal propagation: the gateway talks to Kafka as the caller (opt-in). */
export interface PropagationConfig {
  readonly enabled: boolean;
  /** For Basic callers; bearer callers always use OAUTHBEARER with their own token. */
  readonly saslMechanism: PropagationSaslMechanism;
  readonly fallback: PropagationFallback;
  /** Most per-caller clients kept per process and client kind (least recently used goes first). */
  readonly maxClients: number;
  /** A per-caller client unused this long is closed. */
  readonly idleMs: number;
}

/** Default idle time of a per-caller client: a caller producing now and then keeps its client. */
const DEFAULT_IDLE_MS = 300_000;
/** Default cache bound: each client holds a connection to every broker it talks to. */
const DEFAULT_MAX_CLIENTS = 100;

/**
 * Reads KAFKA_PRINCIPAL_PROPAGATION and its settings. The callers' SASL runs on the listener the
 * gateway uses (KAFKA_BROKERS, its TLS settings), so propagation needs a SASL security protocol.
 */
export function readPropagation(
  r: EnvReader,
  kafka: { securityProtocol: string; saslMechanism: string | undefined },
): PropagationConfig {
  const enabled = r.oneOf('KAFKA_PRINCIPAL_PROPAGATION', ['off', 'on'], 'off') === 'on';
  const own = kafka.saslMechanism?.toLowerCase();
  const fallbackMechanism = own !== undefined && own in MECHANISMS ? own : 'scram-sha-512';
  const mechanism = r.oneOf(
    'KAFKA_PROPAGATION_SASL_MECHANISM',
    Object.keys(MECHANISMS) as (keyof typeof MECHANISMS)[],
    fallbackMechanism as keyof typeof MECHANISMS,
  );
  const config: PropagationConfig = {
    enabled,
    saslMechanism: MECHANISMS[mechanism],
    fallback: r.oneOf('KAFKA_PROPAGATION_FALLBACK', PROPAGATION_FALLBACKS, 'refuse'),
    maxClients: r.int('KAFKA_PROPAGATION_MAX_CLIENTS', DEFAULT_MAX_CLIENTS, { min: 1 }),
    idleMs: r.int('KAFKA_PROPAGATION_IDLE_MS', DEFAULT_IDLE_MS, { min: 1000 }),
  };
  if (enabled && !kafka.securityProtocol.startsWith('SASL_')) {
    r.problem(
      `KAFKA_PRINCIPAL_PROPAGATION=on needs KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT or SASL_SSL (callers authenticate to Kafka with SASL), not ${kafka.securityProtocol}`,
    );
  }
  return config;
}
