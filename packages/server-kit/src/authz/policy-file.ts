import type { Logger } from 'pino';
import { FILE_RECHECK_MS, type FileAccess, NODE_FILES, WatchedFile } from '../config/watched-file';
import { CompiledPolicy } from './policy';
import { parsePolicy } from './policy-parser';

/** How long a policy is trusted before the file is looked at again. */
export const POLICY_RECHECK_MS = FILE_RECHECK_MS;

/** The file system calls the policy file needs (fakes in tests). */
export type PolicyFs = FileAccess;
export const NODE_FS: PolicyFs = NODE_FILES;

/**
 * AUTHZ_POLICY_FILE, re-read when it changes (see WatchedFile): the first read must succeed (a
 * gateway does not start with a broken policy); later a missing or broken file keeps the last
 * good policy and logs one error per bad version.
 */
export class PolicyFile {
  private readonly file: WatchedFile<CompiledPolicy>;

  constructor(
    readonly path: string,
    logger: Logger,
    fs: PolicyFs = NODE_FS,
    recheckMs = POLICY_RECHECK_MS,
    now: () => number = Date.now,
  ) {
    this.file = new WatchedFile(path, (text) => new CompiledPolicy(parsePolicy(text)), {
      name: 'authorization policy file',
      logger,
      fs,
      recheckMs,
      now,
    });
    logger.info({ policyFile: path }, 'authorization policy loaded');
  }

  current(): CompiledPolicy {
    return this.file.current();
  }
}
