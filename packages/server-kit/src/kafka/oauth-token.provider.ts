import { readFileSync } from 'node:fs';
import type { KafkaSaslConfig } from '../config/common.config';

type OAuthConfig = Extract<KafkaSaslConfig, { mechanism: 'OAUTHBEARER' }>;

/** A token is fetched again once this share of its lifetime has passed (Kafka's refresh window). */
const REFRESH_AT_LIFETIME_SHARE = 0.8;
/** Lifetime assumed when the endpoint gives no `expires_in`. */
const DEFAULT_LIFETIME_S = 300;
/** The token endpoint must answer within this. */
const TOKEN_REQUEST_TIMEOUT_MS = 10_000;

/**
 * OAUTHBEARER tokens for kafkajs: the client-credentials flow against a token endpoint (as the
 * Java client's `OAuthBearerLoginCallbackHandler`: HTTP Basic with the client id and secret, form
 * body `grant_type=client_credentials[&scope=...]`), cached and fetched again before expiry; or a
 * token read from a file, re-read on every connection. Concurrent callers share one request.
 */
export class OAuthTokenProvider {
  private cached: { value: string; refreshAt: number } | undefined;
  private inFlight: Promise<string> | undefined;

  constructor(private readonly config: OAuthConfig) {}

  async token(): Promise<string> {
    if (this.config.tokenFile !== undefined) {
      return readFileSync(this.config.tokenFile, 'utf8').trim();
    }
    if (this.cached !== undefined && Date.now() < this.cached.refreshAt) return this.cached.value;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchToken(): Promise<string> {
    const c = this.config;
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (c.scope !== undefined) body.set('scope', c.scope);
    const basic = Buffer.from(
      `${encodeURIComponent(c.clientId ?? '')}:${encodeURIComponent(c.clientSecret?.value() ?? '')}`,
    ).toString('base64');
    const res = await fetch(c.tokenEndpointUrl!, {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body,
      signal: AbortSignal.timeout(TOKEN_REQUEST_TIMEOUT_MS),
    });
    if (!res.ok) {
      // the body may echo what was sent; only the status is reported
      throw new Error(`the OAuth token endpoint answered HTTP ${res.status}`);
    }
    const json = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof json.access_token !== 'string' || json.access_token === '') {
      throw new Error('the OAuth token endpoint answered without an access_token');
    }
    const lifetimeS = typeof json.expires_in === 'number' ? json.expires_in : DEFAULT_LIFETIME_S;
    this.cached = {
      value: json.access_token,
      refreshAt: Date.now() + lifetimeS * 1000 * REFRESH_AT_LIFETIME_SHARE,
    };
    return json.access_token;
  }
}
