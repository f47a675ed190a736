import { type DynamicModule, Global, Module } from '@nestjs/common';
import {
  basicAuthorization,
  HttpSchemaRegistry,
  SchemaSerde,
  type SchemaRegistryOptions,
} from '@kafka-gateway/codec';
import type { SchemaRegistryConfig } from '../config/common.config';
import { PemFiles } from '../config/pem-files';

/**
 * Registry options from the gateway config. Credentials may come from
 * `SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO` (or its `_FILE`, read when used), from the URL's
 * userinfo as Confluent clients allow (moved into the Authorization header), or a bearer token.
 * TLS files are read here, never by the codec, and re-read when they change.
 */
export function schemaRegistryOptions(
  config: SchemaRegistryConfig,
): SchemaRegistryOptions | undefined {
  if (config.url === undefined) return undefined;
  const url = new URL(config.url);
  let fromUrl: string | undefined;
  if (url.username !== '') {
    fromUrl = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    url.username = '';
    url.password = '';
  }
  const authorization = registryAuthorization(config, fromUrl);
  const { caFile, certFile, keyFile } = config;
  const tlsFiles =
    caFile === undefined && certFile === undefined
      ? undefined
      : new PemFiles({
          ...(caFile === undefined ? {} : { ca: caFile }),
          ...(certFile === undefined ? {} : { cert: certFile }),
          ...(keyFile === undefined ? {} : { key: keyFile }),
        });
  return {
    url: url.toString(),
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    ...(authorization === undefined ? {} : { authorization }),
    ...(tlsFiles === undefined ? {} : { tls: () => tlsFiles.current() }),
  };
}

function registryAuthorization(
  config: SchemaRegistryConfig,
  fromUrl: string | undefined,
): (() => string) | undefined {
  const token = config.bearerAuthToken;
  if (token !== undefined) return () => `Bearer ${token.value()}`;
  const userInfo = config.basicAuthUserInfo;
  if (userInfo === undefined && fromUrl === undefined) return undefined;
  return () => {
    const info = userInfo?.value() ?? fromUrl ?? '';
    const colon = info.indexOf(':');
    if (colon < 0) {
      // never the content itself: it is a secret
      throw new Error('SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO_FILE does not hold user:password');
    }
    return basicAuthorization(info.slice(0, colon), info.slice(colon + 1));
  };
}

/**
 * The one adapter between the gateways and the Schema Registry: a process-wide `SchemaSerde`
 * (its caches are shared by every request). Without `SCHEMA_REGISTRY_URL` the serde still exists
 * and answers 42206 for the schema formats, as Confluent does.
 */
@Global()
@Module({})
export class SchemaModule {
  static forRoot(config: SchemaRegistryConfig): DynamicModule {
    const options = schemaRegistryOptions(config);
    const serde = new SchemaSerde(
      options === undefined ? undefined : new HttpSchemaRegistry(options),
    );
    return {
      module: SchemaModule,
      providers: [{ provide: SchemaSerde, useValue: serde }],
      exports: [SchemaSerde],
    };
  }
}
