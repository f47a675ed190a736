/**
 * A pure reader over an environment map that collects every problem instead of stopping at the
 * first, so a misconfigured deployment is told everything that is wrong in one start attempt.
 */
import { accessSync, constants } from 'node:fs';
import { Secret } from './secret';

export type Env = Readonly<Record<string, string | undefined>>;

/** Whether a file can be read; injected so config parsing stays testable without files. */
export type FileCheck = (path: string) => boolean;

const canRead: FileCheck = (path) => {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(
    private readonly env: Env,
    private readonly readable: FileCheck = canRead,
  ) {}

  private raw(name: string): string | undefined {
    const v = this.env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    const n = /^-?\d+$/.test(v) ? Number(v) : Number.NaN;
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name}=${v} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, { min: 0, max: 65535 });
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    this.problems.push(`${name}=${v} must be true or false`);
    return fallback;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.raw(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.problems.push(`${name}=${v} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  list(name: string, fallback: readonly string[]): string[] {
    const v = this.raw(name);
    if (v === undefined) return [...fallback];
    const items = v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (items.length === 0) this.problems.push(`${name} must list at least one value`);
    return items;
  }

  /** host:port pairs such as Kafka bootstrap servers. */
  hostPorts(name: string, fallback: readonly string[]): string[] {
    const items = this.list(name, fallback);
    for (const item of items) {
      const m = /^(\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(item);
      if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        this.problems.push(`${name}: "${item}" is not host:port`);
      }
    }
    return items;
  }

  url(name: string, fallback?: string): string | undefined {
    const v = this.raw(name) ?? fallback;
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (
        u.protocol !== 'http:' &&
        u.protocol !== 'https:' &&
        u.protocol !== 'redis:' &&
        u.protocol !== 'rediss:'
      ) {
        this.problems.push(`${name}=${v} must be an http(s) or redis(s) URL`);
      }
    } catch {
      this.problems.push(`${name}=${v} is not a valid URL`);
    }
    return v.replace(/\/+$/, '');
  }

  /** A path to a file that must exist and be readable at start-up. */
  file(name: string): string | undefined {
    const path = this.raw(name);
    if (path !== undefined && !this.readable(path)) {
      this.problems.push(`${name}=${path}: the file is missing or cannot be read`);
    }
    return path;
  }

  /**
   * A secret from `NAME` or, as Kubernetes mounts them, from the file named by `NAME_FILE` (read
   * when used, so a rotated file is picked up). Setting both is a mistake.
   */
  secret(name: string): Secret | undefined {
    const literal = this.raw(name);
    const file = this.file(`${name}_FILE`);
    if (literal !== undefined && file !== undefined) {
      this.problems.push(`set ${name} or ${name}_FILE, not both`);
    }
    if (file !== undefined) return Secret.fromFile(file);
    return literal === undefined ? undefined : Secret.of(literal);
  }

  /** Adds a problem found by a cross-field check. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws a ConfigError listing every problem, if any. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Deep-freezes a config object so nothing can change it after start-up. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
