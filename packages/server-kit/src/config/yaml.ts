import { load } from 'js-yaml';

/** Parses YAML (JSON is YAML) for the policy and quota files: the js-yaml home. */
export function parseYaml(text: string): unknown {
  return load(text);
}
