/** What a metered stream writes to (an Express/Node ServerResponse). */
export interface MeteredResponse {
  write(chunk: unknown, ...rest: unknown[]): boolean;
  emit(event: 'drain'): boolean;
}

/**
 * Charges a streamed answer (SSE records) to a byte quota as it is written. `charge` takes the
 * bytes of one write and answers how long the principal stays in debt; while it does, the write
 * reports back-pressure (false) and 'drain' follows once the debt is paid. A writer that waits
 * for 'drain' (the records stream, a pipe from the forwarder) therefore slows to the quota
 * instead of being cut off, and nothing is buffered beyond the chunk already written.
 */
export function meterStreamWrites(res: MeteredResponse, charge: (bytes: number) => number): void {
  const write = res.write.bind(res);
  let releaseAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const meteredWrite = (chunk: unknown, ...rest: unknown[]): boolean => {
    const ok = write(chunk, ...rest);
    const bytes =
      typeof chunk === 'string'
        ? Buffer.byteLength(chunk)
        : chunk instanceof Uint8Array
          ? chunk.byteLength
          : 0;
    const waitMs = charge(bytes);
    if (waitMs <= 0) return ok;
    // over the quota: back-pressure now, 'drain' when the debt is paid (one timer at a time)
    releaseAt = Math.max(releaseAt, Date.now() + waitMs);
    if (timer === undefined) {
      const release = (): void => {
        const left = releaseAt - Date.now();
        if (left > 0) {
          timer = setTimeout(release, left);
          return;
        }
        timer = undefined;
        res.emit('drain');
      };
      timer = setTimeout(release, waitMs);
      timer.unref();
    }
    return false;
  };
  res.write = meteredWrite;
}
