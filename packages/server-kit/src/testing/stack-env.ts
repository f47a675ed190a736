import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The variables of one env file the local stack writes into its run directory
 * (`security.env`, `auth.env`, ...); undefined without a run directory or that file.
 */
export function readStackEnvFile(
  runDir: string | undefined,
  file: string,
): Record<string, string> | undefined {
  if (runDir === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(join(runDir, file), 'utf8');
  } catch {
    return undefined;
  }
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m !== null) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return env;
}
