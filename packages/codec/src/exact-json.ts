/**
 * Exact integers in JSON. JavaScript's JSON.parse turns every number into a double, so an
 * integer beyond 2^53 (Kafka ids, Avro longs, Protobuf int64) loses its last digits, where
 * Confluent's Jackson keeps them. Node 20 has no lossless JSON.parse (no reviver source text,
 * no JSON.rawJSON), so the codec keeps them itself, paying only where such a number can occur:
 *
 * - `scanJsonText` is one linear pass over the bytes (the depth guard's pass, run anyway) that
 *   also notes an integer literal of `LONG_INTEGER_DIGITS` or more digits outside strings;
 * - only then `parseExactJson` parses the text again, with integers beyond 2^53 as BigInt and
 *   everything else exactly as JSON.parse gives it (floats and exponents stay numbers);
 * - `stringifyExactJson` writes BigInts back as integer literals; JSON.stringify does the work
 *   until it meets one.
 */

/** The shortest integer literal that can exceed 2^53 (9007199254740992 has 16 digits). */
export const LONG_INTEGER_DIGITS = 16;

/** `scanJsonText` flag: the text nests objects/arrays deeper than the limit (scan stopped). */
export const JSON_TOO_DEEP = 1;
/** `scanJsonText` flag: a run of `LONG_INTEGER_DIGITS`+ digits outside strings. */
export const JSON_LONG_INTEGER = 2;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * One pass over UTF-8 JSON bytes: `JSON_TOO_DEEP` when objects and arrays nest more than
 * `maxDepth` levels (`{}` and `[]` are depth 1; the scan stops there), `JSON_LONG_INTEGER` when
 * a run of 16 or more digits stands outside a string (a fraction or exponent that long is a
 * harmless false positive: the exact parse keeps it a number). Works on bytes because
 * `{ } [ ] " \` and digits never occur inside a multi-byte UTF-8 sequence. It does not
 * validate: malformed text is left to JSON.parse.
 */
export function scanJsonText(text: Uint8Array, maxDepth: number): number {
  const n = text.length;
  let depth = 0;
  let digits = 0;
  let flags = 0;
  for (let i = 0; i < n; i++) {
    const b = text[i]!;
    if (b === QUOTE) {
      // The closing quote: the next quote not escaped, i.e. after an even run of backslashes
      // (each backslash escapes the byte after it). indexOf is native: string contents (most of
      // a produce body, base64 values) are skipped without a JavaScript loop over their bytes.
      for (;;) {
        const q = text.indexOf(QUOTE, i + 1);
        if (q < 0) {
          i = n; // unterminated: nothing after it counts
          break;
        }
        let backslashes = 0;
        while (text[q - 1 - backslashes] === BACKSLASH) backslashes++;
        i = q;
        if (backslashes % 2 === 0) break;
      }
      digits = 0;
    } else if (b >= DIGIT_0 && b <= DIGIT_9) {
      if (++digits === LONG_INTEGER_DIGITS) flags |= JSON_LONG_INTEGER;
    } else {
      digits = 0;
      if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
        if (++depth > maxDepth) return flags | JSON_TOO_DEEP;
      } else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && depth > 0) {
        depth--; // never below 0, so stray closers cannot buy extra depth for what follows
      }
    }
  }
  return flags;
}

/** Whether JSON bytes may hold an integer JSON.parse would round (see `scanJsonText`). */
export function mayHoldLongIntegers(text: Uint8Array): boolean {
  return (scanJsonText(text, Number.POSITIVE_INFINITY) & JSON_LONG_INTEGER) !== 0;
}

/**
 * JSON.parse, keeping every integer beyond 2^53 exact as a BigInt when the text may hold one.
 * Malformed text throws JSON.parse's SyntaxError.
 */
export function parseJsonExactly(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  const value = JSON.parse(text) as unknown;
  return mayHoldLongIntegers(bytes) ? parseExactJson(text) : value;
}

/**
 * Parses JSON text that JSON.parse accepts into the same value, except that integer literals
 * beyond ±(2^53 − 1) become BigInts with every digit. Objects are built as JSON.parse builds
 * them: the last of duplicate keys wins, `__proto__` is an own data property. Meant for text
 * JSON.parse has accepted already (its errors are the ones reported); recursion depth is the
 * text's nesting, bounded by the depth guard for request bodies.
 */
export function parseExactJson(text: string): unknown {
  const parser = new ExactParser(text);
  parser.skipWhitespace();
  const value = parser.value();
  parser.skipWhitespace();
  if (parser.pos !== text.length) parser.fail();
  return value;
}

class ExactParser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(): never {
    throw new SyntaxError(`Unexpected token in JSON at position ${this.pos}`);
  }

  skipWhitespace(): void {
    const t = this.text;
    let c = t.charCodeAt(this.pos);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = t.charCodeAt(++this.pos);
  }

  value(): unknown {
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b) return this.object();
    if (c === 0x5b) return this.array();
    if (c === QUOTE) return this.string();
    if (c === 0x2d || (c >= DIGIT_0 && c <= DIGIT_9)) return this.number();
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    return this.fail();
  }

  private literal<T>(length: number, v: T): T {
    this.pos += length;
    return v;
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.pos++; // {
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_OBJECT) {
      this.pos++;
      return out;
    }
    for (;;) {
      if (this.text.charCodeAt(this.pos) !== QUOTE) this.fail();
      const key = this.string();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail(); // :
      this.pos++;
      this.skipWhitespace();
      const v = this.value();
      // plain assignment would set the prototype; JSON.parse makes it an own property
      if (key === '__proto__')
        Object.defineProperty(out, key, {
          value: v,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      else out[key] = v;
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === CLOSE_OBJECT) return out;
      if (c !== 0x2c) this.fail(); // ,
      this.skipWhitespace();
    }
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.pos++; // [
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === CLOSE_ARRAY) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos++);
      if (c === CLOSE_ARRAY) return out;
      if (c !== 0x2c) this.fail(); // ,
      this.skipWhitespace();
    }
  }

  private string(): string {
    const t = this.text;
    const start = this.pos;
    let escaped = false;
    let i = start + 1;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === BACKSLASH) {
        escaped = true;
        i++;
      } else if (c === QUOTE) break;
    }
    if (i >= t.length) this.fail();
    this.pos = i + 1;
    // escapes are JSON.parse's business: it decodes the literal exactly as in the whole text
    return escaped ? (JSON.parse(t.slice(start, i + 1)) as string) : t.slice(start + 1, i);
  }

  private number(): number | bigint {
    const t = this.text;
    const start = this.pos;
    let integer = true;
    let i = start;
    for (; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c >= DIGIT_0 && c <= DIGIT_9) continue;
      if (c === 0x2d && i === start) continue; // leading -
      if (c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) {
        integer = false; // . e E + - (fraction or exponent): a double, as JSON.parse reads it
        continue;
      }
      break;
    }
    if (i === start) this.fail();
    this.pos = i;
    const literal = t.slice(start, i);
    const n = Number(literal);
    if (Number.isNaN(n)) this.fail();
    // Rounding is monotonic and 2^53 is a double: a literal beyond the safe range never rounds
    // into it, so "not a safe integer" is exactly "JSON.parse would lose digits".
    return integer && !Number.isSafeInteger(n) ? BigInt(literal) : n;
  }
}

/**
 * JSON text of a value holding BigInts (written as integer literals with every digit), else
 * exactly JSON.stringify's. The common value has none: JSON.stringify writes it, and only a
 * value it refuses for a BigInt is written again here.
 */
export function stringifyExactJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) as string | undefined;
    return text ?? 'null';
  } catch (err) {
    if (!(err instanceof TypeError) || !containsBigInt(value, 0)) throw err;
  }
  return write(value) ?? 'null';
}

/** Nesting beyond which `containsBigInt` gives up looking (the writer then fails as it would). */
const MAX_SEARCH_DEPTH = 10_000;

function containsBigInt(v: unknown, depth: number): boolean {
  if (typeof v === 'bigint') return true;
  if (typeof v !== 'object' || v === null || depth > MAX_SEARCH_DEPTH) return false;
  for (const item of Array.isArray(v) ? v : Object.values(v))
    if (containsBigInt(item, depth + 1)) return true;
  return false;
}

/** JSON.stringify's rules (toJSON, undefined and functions skipped or null) plus BigInt. */
function write(v: unknown): string | undefined {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const toJSON = (v as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return write((toJSON as () => unknown).call(v));
  if (Array.isArray(v)) {
    const items = (v as unknown[]).map((x) => write(x) ?? 'null');
    return `[${items.join(',')}]`;
  }
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v)) {
    const text = write(x);
    if (text !== undefined) parts.push(`${JSON.stringify(k)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * A JSON value already rendered as text (for instance a `json` record's own bytes), embedded
 * verbatim where records are written: nothing is parsed into doubles and written again.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A record field's JSON text: embedded as is, or written with exact integers. */
export function renderJsonField(value: unknown): string {
  return value instanceof JsonText ? value.text : stringifyExactJson(value);
}
