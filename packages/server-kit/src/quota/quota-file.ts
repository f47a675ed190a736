import { parseYaml } from '../config/yaml';
import type { Logger } from 'pino';
import type { PrincipalLimits, RateLimit } from '../config/edge.config';
import { FILE_RECHECK_MS, WatchedFile } from '../config/watched-file';

/**
 * The per-principal overrides of QUOTA_FILE (JSON or YAML; JSON is YAML):
 *
 *   principals:
 *     alice:
 *       produce_bytes_per_second: 1048576
 *       produce_bytes_burst: 4194304
 *     batch-loader:
 *       produce_requests_per_second: 0   # no produce request quota for this principal
 *
 * A quota the entry names replaces the default (0: none for this principal); others keep the
 * default. A burst defaults to one second's worth.
 */
export type QuotaOverride = { readonly [K in keyof PrincipalLimits]?: RateLimit | null };
export type QuotaOverrides = ReadonlyMap<string, QuotaOverride>;

const QUOTAS: readonly (readonly [keyof PrincipalLimits, string])[] = [
  ['produceRequests', 'produce_requests'],
  ['produceBytes', 'produce_bytes'],
  ['fetchBytes', 'fetch_bytes'],
];
const KNOWN_KEYS = new Set(QUOTAS.flatMap(([, k]) => [`${k}_per_second`, `${k}_burst`]));

/** Parses the file's text; throws an Error naming every problem. */
export function parseQuotaFile(text: string): QuotaOverrides {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new Error(`not JSON or YAML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc === undefined || doc === null) return new Map();
  const problems: string[] = [];
  const principals = isObject(doc) ? doc['principals'] : undefined;
  if (!isObject(doc) || Object.keys(doc).some((k) => k !== 'principals')) {
    throw new Error('the file must be an object with one key, "principals"');
  }
  if (principals !== undefined && principals !== null && !isObject(principals)) {
    throw new Error('"principals" must map principal names to their quotas');
  }
  const out = new Map<string, QuotaOverride>();
  for (const [name, entry] of Object.entries(principals ?? {})) {
    if (!isObject(entry)) {
      problems.push(`${name}: must be an object of quotas`);
      continue;
    }
    for (const k of Object.keys(entry)) {
      if (!KNOWN_KEYS.has(k)) problems.push(`${name}: unknown key "${k}"`);
    }
    const override: { -readonly [K in keyof PrincipalLimits]?: RateLimit | null } = {};
    for (const [field, key] of QUOTAS) {
      const perSecond = entry[`${key}_per_second`];
      const burst = entry[`${key}_burst`];
      if (perSecond === undefined) {
        if (burst !== undefined) problems.push(`${name}: ${key}_burst needs ${key}_per_second`);
        continue;
      }
      if (!isCount(perSecond)) {
        problems.push(`${name}: ${key}_per_second must be a non-negative integer`);
        continue;
      }
      if (burst !== undefined && (!isCount(burst) || burst === 0)) {
        problems.push(`${name}: ${key}_burst must be a positive integer`);
        continue;
      }
      override[field] =
        perSecond === 0
          ? null
          : { perSecond, burst: typeof burst === 'number' ? burst : perSecond };
    }
    out.set(name, override);
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** How often the file's modification time and size are looked at (as the PEM files). */
export const QUOTA_FILE_RECHECK_MS = FILE_RECHECK_MS;

/**
 * QUOTA_FILE, read at start (a bad file stops the start) and re-read when it changes (see
 * WatchedFile); a bad edit is logged and the previous overrides stay in force. The overrides are
 * pushed to `onChange` (the quota service holds them), by a timer once `watch` is called.
 */
export class QuotaFile {
  private readonly file: WatchedFile<QuotaOverrides>;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly path: string,
    logger: Logger,
    private readonly onChange: (overrides: QuotaOverrides) => void,
  ) {
    try {
      this.file = new WatchedFile(path, parseQuotaFile, {
        name: 'quota file',
        logger,
        describe: (o) => ({ principals: o.size }),
      });
    } catch (err) {
      throw new Error(`QUOTA_FILE=${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    onChange(this.file.current());
  }

  watch(recheckMs = QUOTA_FILE_RECHECK_MS): void {
    this.timer = setInterval(() => this.recheck(), recheckMs);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Re-reads the file if it changed; true when new overrides took effect. */
  recheck(): boolean {
    if (!this.file.recheck()) return false;
    this.onChange(this.file.current());
    return true;
  }
}
