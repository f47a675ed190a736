import { readFileSync, statSync } from 'node:fs';

/** The PEM contents of a set of files, as TLS options take them. */
export interface PemMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/**
 * How long a file's modification time is trusted before it is looked at again. Kubernetes
 * updates a mounted Secret within a minute or so; a few seconds more do not matter, and a stat
 * per TLS handshake or registry call would.
 */
export const PEM_RECHECK_MS = 2000;

/**
 * PEM files (CA, certificate, key) that are re-read when any of them changes, without a restart.
 * `current()` answers the same object until a file's modification time or size changes, so a
 * consumer can compare identities to know when to rebuild its TLS context or agent. Files are
 * looked at no more often than every `recheckMs`. Paths are followed (Kubernetes swaps a symlink).
 */
export class PemFiles {
  private material: PemMaterial | undefined;
  private stamp = '';
  private checkedAt = 0;

  constructor(
    readonly files: { readonly ca?: string; readonly cert?: string; readonly key?: string },
    private readonly recheckMs = PEM_RECHECK_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The current contents; throws (naming the file) when one cannot be read. */
  current(): PemMaterial {
    const now = this.now();
    if (this.material !== undefined && now - this.checkedAt < this.recheckMs) return this.material;
    this.checkedAt = now;
    const stamp = this.stampOf();
    if (this.material === undefined || stamp !== this.stamp) {
      const read = (path: string | undefined): Buffer | undefined =>
        path === undefined ? undefined : readFileSync(path);
      const { ca, cert, key } = this.files;
      this.material = {
        ...(ca === undefined ? {} : { ca: read(ca) }),
        ...(cert === undefined ? {} : { cert: read(cert) }),
        ...(key === undefined ? {} : { key: read(key) }),
      };
      this.stamp = stamp;
    }
    return this.material;
  }

  private stampOf(): string {
    return Object.values(this.files)
      .map((path: string | undefined) => {
        if (path === undefined) return '-';
        const s = statSync(path);
        return `${String(s.mtimeMs)}:${String(s.size)}`;
      })
      .join('|');
  }
}
