import type { EnvReader } from './env-reader';

export interface AuthzConfig {
  /** AUTHZ_POLICY_FILE: the grants (YAML or JSON), re-read on change; unset = all allowed. */
  readonly policyFile: string | undefined;
}

export function readAuthzConfig(r: EnvReader): AuthzConfig {
  return { policyFile: r.file('AUTHZ_POLICY_FILE') };
}
