import { readFileSync, statSync } from 'node:fs';

/**
 * A secret value (password, client secret, token) that never prints: `String(secret)`, JSON and
 * `util.inspect` all show `[redacted]`. From a `*_FILE` variable it is read from the file on
 * every `value()` whose modification time changed, so a rotated Kubernetes Secret is picked up
 * without a restart. The cache is an ECMAScript private field: the loaders deep-freeze the whole
 * configuration (Secrets included), and a frozen object's private fields stay writable.
 */
export class Secret {
  // a #private field: config objects are deep-frozen, and freezing does not reach these
  #cached: { mtimeMs: number; value: string } | undefined;

  private constructor(
    private readonly literal: string | undefined,
    /** The file it is read from, when it came from a `*_FILE` variable. */
    readonly file: string | undefined,
  ) {}

  static of(value: string): Secret {
    return new Secret(value, undefined);
  }

  static fromFile(path: string): Secret {
    return new Secret(undefined, path);
  }

  /** The current value; a file secret is re-read when the file changed (trailing newline cut). */
  value(): string {
    if (this.literal !== undefined) return this.literal;
    const path = this.file!;
    const mtimeMs = statSync(path).mtimeMs;
    if (this.#cached === undefined || this.#cached.mtimeMs !== mtimeMs) {
      this.#cached = { mtimeMs, value: readFileSync(path, 'utf8').replace(/\r?\n$/, '') };
    }
    return this.#cached.value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[redacted]';
  }
}
