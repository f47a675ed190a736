import { type DynamicModule, Global, Module } from '@nestjs/common';

/** Makes an app's frozen config injectable under its token everywhere in the app. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(token: symbol, config: object): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: token, useValue: config }],
      exports: [token],
    };
  }
}
