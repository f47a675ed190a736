import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';

/** The file system calls a watched file needs; injected so reloads are testable with fakes. */
export interface FileAccess {
  /** A stamp that changes when the file does (modification time, size, inode). */
  stamp(path: string): string;
  read(path: string): string;
}

export const NODE_FILES: FileAccess = {
  stamp(path) {
    const s = statSync(path);
    return `${String(s.mtimeMs)}:${String(s.size)}:${String(s.ino)}`;
  },
  read: (path) => readFileSync(path, 'utf8'),
};

/**
 * How long a file's content is trusted before its stamp is looked at again (as the PEM files):
 * a mounted ConfigMap or Secret update reaches the pod within a minute or so, and a stat per
 * request would cost more than a few seconds of delay are worth.
 */
export const FILE_RECHECK_MS = 2000;

export interface WatchedFileOptions<T> {
  /** What the file is, for log lines ("authorization policy file"). */
  readonly name: string;
  readonly logger: Logger;
  readonly recheckMs?: number;
  readonly now?: () => number;
  readonly fs?: FileAccess;
  /** Fields of the "reloaded" log line (never the content: it may hold hashes). */
  readonly describe?: (value: T) => Record<string, unknown>;
}

/**
 * A configuration file parsed at start and re-parsed when it changes (the credentials, policy
 * and quota files). The first read must succeed (it throws: a gateway does not start on a broken
 * file); later an unreadable or unparsable version keeps the last good value and is logged once
 * per version. `current()` looks at the file at most every `recheckMs`, on use.
 */
export class WatchedFile<T> {
  private value: T;
  private stamp: string;
  private checkedAt: number;
  private reported: string | undefined;
  private readonly fs: FileAccess;
  private readonly recheckMs: number;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    private readonly parse: (text: string) => T,
    private readonly options: WatchedFileOptions<T>,
  ) {
    this.fs = options.fs ?? NODE_FILES;
    this.recheckMs = options.recheckMs ?? FILE_RECHECK_MS;
    this.now = options.now ?? Date.now;
    this.stamp = this.fs.stamp(path);
    this.value = parse(this.fs.read(path));
    this.checkedAt = this.now();
  }

  current(): T {
    const now = this.now();
    if (now - this.checkedAt >= this.recheckMs) {
      this.checkedAt = now;
      this.recheck();
    }
    return this.value;
  }

  /** Looks at the file now; true when a new version took effect. */
  recheck(): boolean {
    let stamp = 'unreadable';
    try {
      stamp = this.fs.stamp(this.path);
      if (stamp === this.stamp) return false;
      this.value = this.parse(this.fs.read(this.path));
      this.stamp = stamp;
      this.reported = undefined;
      this.options.logger.info(
        { file: this.path, ...this.options.describe?.(this.value) },
        `${this.options.name} reloaded`,
      );
      return true;
    } catch (err) {
      if (this.reported !== stamp) {
        this.reported = stamp;
        this.options.logger.error(
          { file: this.path, err: err instanceof Error ? err.message : String(err) },
          `${this.options.name} unusable; the last good version stays in force`,
        );
      }
      return false;
    }
  }
}
