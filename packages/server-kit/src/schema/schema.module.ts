import { type DynamicModule, Global, Module } from '@nestjs/common';
import { HttpSchemaRegistry, SchemaSerde, type SchemaRegistryOptions } from '@kafka-gateway/codec';
import type { SchemaRegistryConfig } from '../config/common.config';

/**
 * Registry options from the gateway config. Credentials may come from
 * `SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO` or, as Confluent clients allow, from the URL's userinfo
 * (fetch refuses URLs with credentials, so they are moved into the Authorization header).
 */
export function schemaRegistryOptions(
  config: SchemaRegistryConfig,
): SchemaRegistryOptions | undefined {
  if (config.url === undefined) return undefined;
  const url = new URL(config.url);
  let userInfo = config.basicAuthUserInfo;
  if (url.username !== '') {
    userInfo ??= `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    url.username = '';
    url.password = '';
  }
  const colon = userInfo?.indexOf(':') ?? -1;
  return {
    url: url.toString(),
    timeoutMs: config.timeoutMs,
    retries: config.retries,
    ...(userInfo !== undefined && colon >= 0
      ? { basicAuth: { username: userInfo.slice(0, colon), password: userInfo.slice(colon + 1) } }
      : {}),
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
