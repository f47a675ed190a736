import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import type { AuthzConfig } from '../config/authz.config';
import { LOGGER } from '../logging/logger';
import { AuthorizationGuard } from './authorization.guard';
import { AUTHZ_POLICY, Authorizer } from './authorizer';
import { PolicyFile } from './policy-file';

/** The Authorizer (policy file, when configured) and the global guard enforcing route declarations. */
@Global()
@Module({})
export class AuthzModule {
  static forRoot(config: AuthzConfig): DynamicModule {
    return {
      module: AuthzModule,
      providers: [
        {
          provide: AUTHZ_POLICY,
          inject: [LOGGER],
          // a policy file that cannot be read or parsed at start stops the start (PolicyError)
          useFactory: (logger: Logger): PolicyFile | null =>
            config.policyFile === undefined ? null : new PolicyFile(config.policyFile, logger),
        },
        Authorizer,
        { provide: APP_GUARD, useClass: AuthorizationGuard },
      ],
      exports: [Authorizer],
    };
  }
}
