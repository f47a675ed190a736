/** What one chunk yields: the complete top-level objects, and the stream's error if it broke. */
export interface SplitResult {
  readonly objects: Buffer[];
  /** Set when the stream is not a sequence of JSON objects; nothing after it can be trusted. */
  readonly error?: string;
}

const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

function isWhitespace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

/**
 * Cuts a byte stream of concatenated JSON objects (`{...}{...}`, any whitespace between) into
 * one buffer per object, whatever the chunk boundaries. It only tracks nesting depth and
 * strings (a brace inside a string does not count); each object's text is then JSON.parse'd by
 * the caller, which catches everything else. Works on bytes: `{`, `}`, `"` and `\` never occur
 * inside a multi-byte UTF-8 sequence, so a character split across chunks is harmless.
 * An object larger than `maxObjectBytes` is an error (the stream cannot be resynchronised).
 */
export class JsonObjectSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private broken = false;

  constructor(private readonly maxObjectBytes: number) {}

  /** Bytes of an object begun but not finished (for the per-record limit and the end check). */
  get pendingBytes(): number {
    return this.partBytes;
  }

  push(chunk: Buffer): SplitResult {
    const objects: Buffer[] = [];
    if (this.broken) return { objects, error: 'stream already failed' };
    let start = -1; // where the current object starts in this chunk (-1: before the chunk)
    if (this.depth > 0) start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.depth === 0) {
        if (isWhitespace(b)) continue;
        if (b !== OPEN) return this.fail(objects, `Unexpected character '${printable(b)}'`);
        this.depth = 1;
        start = i;
        continue;
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.inString = false;
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN || b === OPEN_ARRAY) this.depth++;
      else if (b === CLOSE || b === CLOSE_ARRAY) {
        this.depth--;
        if (this.depth === 0) {
          const tail = chunk.subarray(start, i + 1);
          const size = this.partBytes + tail.length;
          if (size > this.maxObjectBytes) return this.tooLarge(objects);
          objects.push(this.parts.length === 0 ? tail : Buffer.concat([...this.parts, tail]));
          this.parts = [];
          this.partBytes = 0;
          start = -1;
        }
      }
    }
    if (this.depth > 0 && start >= 0) {
      const rest = chunk.subarray(start);
      this.parts.push(rest);
      this.partBytes += rest.length;
      if (this.partBytes > this.maxObjectBytes) return this.tooLarge(objects);
    }
    return { objects };
  }

  /** At the end of the stream: an error when an object was left unfinished. */
  end(): string | undefined {
    if (this.broken) return undefined;
    if (this.depth > 0) {
      this.broken = true;
      return 'Unexpected end of input: a JSON object is not closed';
    }
    return undefined;
  }

  private tooLarge(objects: Buffer[]): SplitResult {
    return this.fail(objects, `A record is larger than ${this.maxObjectBytes} bytes`);
  }

  private fail(objects: Buffer[], error: string): SplitResult {
    this.broken = true;
    this.parts = [];
    this.partBytes = 0;
    return { objects, error };
  }
}

function printable(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
}
