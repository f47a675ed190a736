const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether a JSON text nests objects and arrays more than `maxDepth` levels deep (`{}` and `[]`
 * are depth 1, a scalar depth 0). One linear pass over the bytes counting brackets outside
 * strings, stopping at the first level too deep, so it runs before anything recursive sees the
 * document: JSON.parse copes with any depth, but the serializers that walk the parsed value
 * (JSON.stringify among them) overflow the stack a few thousand levels down, which would be a
 * 500. Works on UTF-8 bytes because `{ } [ ] " \` never occur inside a multi-byte sequence. It
 * does not validate: malformed text is left to JSON.parse, which reports it properly.
 */
export function exceedsJsonDepth(text: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const b = text[i];
    if (inString) {
      if (b === BACKSLASH)
        i++; // the escaped byte cannot end the string
      else if (b === QUOTE) inString = false;
    } else if (b === QUOTE) {
      inString = true;
    } else if (b === OPEN_OBJECT || b === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if ((b === CLOSE_OBJECT || b === CLOSE_ARRAY) && depth > 0) {
      depth--; // never below 0, so stray closers cannot buy extra depth for what follows
    }
  }
  return false;
}
