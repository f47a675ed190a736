import { JSON_TOO_DEEP, scanJsonText } from '@kafka-gateway/codec';

/**
 * Whether a JSON text nests objects and arrays more than `maxDepth` levels deep (`{}` and `[]`
 * are depth 1, a scalar depth 0). One linear pass over the bytes counting brackets outside
 * strings, stopping at the first level too deep, so it runs before anything recursive sees the
 * document: JSON.parse copes with any depth, but the serializers that walk the parsed value
 * (JSON.stringify among them) overflow the stack a few thousand levels down, which would be a
 * 500. The pass is the codec's `scanJsonText`, which also notes integers JSON.parse would round
 * (request bodies use both answers, see json-body.ts). It does not validate: malformed text is
 * left to JSON.parse, which reports it properly.
 */
export function exceedsJsonDepth(text: Uint8Array, maxDepth: number): boolean {
  return (scanJsonText(text, maxDepth) & JSON_TOO_DEEP) !== 0;
}
