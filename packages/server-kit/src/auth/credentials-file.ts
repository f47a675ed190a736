import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { PEM_RECHECK_MS } from '../config/pem-files';
import { hashKind } from './password-hash';

export interface UserRecord {
  readonly name: string;
  readonly hash: string;
  readonly groups: readonly string[];
}

export interface Credentials {
  readonly users: ReadonlyMap<string, UserRecord>;
  /** Changes whenever the file was read again: remembered verifications are then forgotten. */
  readonly generation: number;
  /** A hash of the file's kind and cost (unknown users are checked against one like it). */
  readonly typicalHash: string | undefined;
}

const USER_NAME = /^[^\s:]+$/;
const GROUP = /^[^\s,:]+$/;

/**
 * Parses `user:hash[:group1,group2]` lines (`#` comments and blank lines ignored). A bad line
 * is reported by number (never its content: it holds a hash) and left out.
 */
export function parseCredentials(text: string): {
  users: Map<string, UserRecord>;
  problems: string[];
} {
  const users = new Map<string, UserRecord>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [name = '', hash = '', groupList, ...rest] = line.split(':');
    const groups =
      groupList === undefined || groupList === '' ? [] : groupList.split(',').map((g) => g.trim());
    if (
      rest.length > 0 ||
      !USER_NAME.test(name) ||
      hashKind(hash) === undefined ||
      !groups.every((g) => GROUP.test(g))
    ) {
      problems.push(
        `line ${String(i + 1)}: expected user:hash[:group1,group2] with a bcrypt or argon2 hash`,
      );
      return;
    }
    if (users.has(name)) {
      problems.push(`line ${String(i + 1)}: user ${name} is listed twice (the first line counts)`);
      return;
    }
    users.set(name, { name, hash, groups });
  });
  return { users, problems };
}

/**
 * The Basic credentials file, re-read when its modification time or size changes (looked at no
 * more often than every `recheckMs`, like the PEM files). An unreadable file after a good read
 * keeps the previous users and is logged once per distinct problem.
 */
export class CredentialsFile {
  private credentials: Credentials;
  private stamp: string;
  private checkedAt: number;
  private lastProblem = '';

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly recheckMs = PEM_RECHECK_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.stamp = this.stampOf();
    this.credentials = this.read(0);
    this.checkedAt = this.now();
  }

  current(): Credentials {
    const now = this.now();
    if (now - this.checkedAt < this.recheckMs) return this.credentials;
    this.checkedAt = now;
    try {
      const stamp = this.stampOf();
      if (stamp !== this.stamp) {
        this.credentials = this.read(this.credentials.generation + 1);
        this.stamp = stamp;
        this.lastProblem = '';
        this.logger.info(
          { file: this.path, users: this.credentials.users.size },
          'Basic credentials file reloaded',
        );
      }
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      if (problem !== this.lastProblem) {
        this.logger.warn(
          { file: this.path, err: problem },
          'Basic credentials file not reloaded: keeping the previous users',
        );
      }
      this.lastProblem = problem;
    }
    return this.credentials;
  }

  private read(generation: number): Credentials {
    const { users, problems } = parseCredentials(readFileSync(this.path, 'utf8'));
    for (const problem of problems)
      this.logger.warn({ file: this.path }, `Basic credentials file: ${problem}`);
    const first = users.values().next().value;
    return { users, generation, typicalHash: first?.hash };
  }

  private stampOf(): string {
    const s = statSync(this.path);
    return `${String(s.mtimeMs)}:${String(s.size)}`;
  }
}
