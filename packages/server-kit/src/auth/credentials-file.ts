import type { Logger } from 'pino';
import { PEM_RECHECK_MS } from '../config/pem-files';
import { WatchedFile } from '../config/watched-file';
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
 * The Basic credentials file, re-read when it changes (see WatchedFile, looked at no more often
 * than every `recheckMs`, like the PEM files). An unreadable file after a good read keeps the
 * previous users and is logged once per version.
 */
export class CredentialsFile {
  private readonly file: WatchedFile<Credentials>;
  private generation = 0;

  constructor(
    readonly path: string,
    logger: Logger,
    recheckMs = PEM_RECHECK_MS,
    now: () => number = Date.now,
  ) {
    const parse = (text: string): Credentials => {
      const { users, problems } = parseCredentials(text);
      for (const problem of problems)
        logger.warn({ file: path }, `Basic credentials file: ${problem}`);
      const first = users.values().next().value;
      return { users, generation: this.generation++, typicalHash: first?.hash };
    };
    this.file = new WatchedFile(path, parse, {
      name: 'Basic credentials file',
      logger,
      recheckMs,
      now,
      describe: (c) => ({ users: c.users.size }),
    });
  }

  current(): Credentials {
    return this.file.current();
  }
}
