import { readFileSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import { CompiledPolicy } from './policy';
import { parsePolicy } from './policy-parser';

/**
 * How long a policy is trusted before the file's modification time is looked at again: a
 * ConfigMap update reaches the pod within a minute or so, and a stat per request would cost more
 * than a few seconds of delay are worth.
 */
export const POLICY_RECHECK_MS = 2000;

/** The file system calls the policy file needs; injected so reload is testable with fakes. */
export interface PolicyFs {
  /** A stamp that changes when the file does (modification time and size). */
  stamp(path: string): string;
  read(path: string): string;
}

export const NODE_FS: PolicyFs = {
  stamp(path) {
    const s = statSync(path);
    return `${String(s.mtimeMs)}:${String(s.size)}`;
  },
  read: (path) => readFileSync(path, 'utf8'),
};

/**
 * AUTHZ_POLICY_FILE, re-read when it changes (polled like PemFiles, at most every `recheckMs`,
 * on use). The first read must succeed (a gateway does not start with a broken policy); later a
 * missing or broken file keeps the last good policy and logs one error per bad version.
 */
export class PolicyFile {
  private policy: CompiledPolicy;
  private stamp: string;
  private checkedAt: number;
  private reportedStamp: string | undefined;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly fs: PolicyFs = NODE_FS,
    private readonly recheckMs = POLICY_RECHECK_MS,
    private readonly now: () => number = Date.now,
  ) {
    this.stamp = fs.stamp(path);
    this.policy = new CompiledPolicy(parsePolicy(fs.read(path)));
    this.checkedAt = now();
    logger.info({ policyFile: path }, 'authorization policy loaded');
  }

  current(): CompiledPolicy {
    const now = this.now();
    if (now - this.checkedAt < this.recheckMs) return this.policy;
    this.checkedAt = now;
    let stamp = 'unreadable';
    try {
      stamp = this.fs.stamp(this.path);
      if (stamp === this.stamp) return this.policy;
      this.policy = new CompiledPolicy(parsePolicy(this.fs.read(this.path)));
      this.stamp = stamp;
      this.reportedStamp = undefined;
      this.logger.info({ policyFile: this.path }, 'authorization policy reloaded');
    } catch (err) {
      if (this.reportedStamp !== stamp) {
        this.reportedStamp = stamp;
        this.logger.error(
          { policyFile: this.path, err: (err as Error).message },
          'authorization policy file unusable; the last good policy stays in force',
        );
      }
    }
    return this.policy;
  }
}
