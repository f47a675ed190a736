import { JsonText, stringifyExactJson } from './exact-json';

/**
 * A record field whose response form is already known without building a JavaScript value:
 * bytes shown as a base64 JSON string (the `binary` format), or UTF-8 JSON text checked once and
 * copied into the answer as it is (the `json` format, JSON Schema). Both are written straight
 * into the response buffer by `JsonBufferWriter`, so a consume answer is built without a
 * `JSON.stringify` per field, without one large string and without re-encoding it to UTF-8.
 */
export class Base64Field {
  constructor(readonly bytes: Buffer) {}
}

/** Valid UTF-8 bytes of a JSON value (checked to parse), spliced verbatim where records are written. */
export class JsonBytes {
  constructor(readonly bytes: Buffer) {}
}

const QUOTE = 0x22;
/** The smallest buffer a writer starts with (an empty fetch answer is two bytes). */
const MIN_CAPACITY = 256;

/** Length of the base64 text of `n` bytes (padded). */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/**
 * A lower bound of the bytes `field` writes: what a response writer adds up to size its buffer
 * once (strings count one byte per character).
 */
export function jsonFieldSize(v: unknown): number {
  if (v instanceof Base64Field) return base64Length(v.bytes.length) + 2;
  if (v instanceof JsonBytes) return v.bytes.length;
  if (v instanceof JsonText) return v.text.length;
  return 4;
}

/**
 * Builds a JSON answer in one growing Buffer. `ascii` takes text the caller knows is ASCII
 * (punctuation, numbers, base64), `text` any string (UTF-8), `field` a record field in any of
 * the forms decoders produce: `Base64Field`, `JsonBytes`, `JsonText`, null, or a value written
 * with exact integers (`stringifyExactJson`).
 */
export class JsonBufferWriter {
  private buf: Buffer;
  private pos = 0;

  /** `sizeHint`: the expected length; the buffer grows (doubling) past it. */
  constructor(sizeHint = MIN_CAPACITY) {
    this.buf = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, Math.ceil(sizeHint)));
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    grown.set(this.buf.subarray(0, this.pos), 0);
    this.buf = grown;
  }

  /** Text made of ASCII characters only (one byte each). */
  ascii(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** Any text, as UTF-8 (a lone surrogate becomes U+FFFD, as in every Node string write). */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A JSON string of the bytes' standard base64 (never needs escaping). */
  base64String(b: Buffer): void {
    this.ensure(base64Length(b.length) + 2);
    this.buf[this.pos++] = QUOTE;
    this.pos += this.buf.write(b.toString('base64'), this.pos, 'latin1');
    this.buf[this.pos++] = QUOTE;
  }

  /** A record field (see the class comment). */
  field(v: unknown): void {
    if (v === null || v === undefined) this.ascii('null');
    else if (v instanceof Base64Field) this.base64String(v.bytes);
    else if (v instanceof JsonBytes) this.bytes(v.bytes);
    else if (v instanceof JsonText) this.text(v.text);
    else this.text(stringifyExactJson(v));
  }

  /** The bytes written (a view of the writer's buffer; the writer must not be used after). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
