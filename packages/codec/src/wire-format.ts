import { CodecError } from './errors';

/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then
 * the payload. Protobuf payloads are preceded by the message indexes of the record's type in its
 * schema file: a zig-zag varint count and zig-zag varint indexes, with the common `[0]` (first
 * message) written as the single byte 0x00.
 */
export const MAGIC_BYTE = 0;
const HEADER = 5;

export function encodeWire(
  schemaId: number,
  payload: Uint8Array,
  messageIndexes?: readonly number[],
): Buffer {
  const indexes = messageIndexes === undefined ? undefined : encodeMessageIndexes(messageIndexes);
  const out = Buffer.allocUnsafe(HEADER + (indexes?.length ?? 0) + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId >>> 0, 1);
  let at = HEADER;
  if (indexes !== undefined) {
    indexes.copy(out, at);
    at += indexes.length;
  }
  out.set(payload, at);
  return out;
}

export interface WireHeader {
  readonly schemaId: number;
  /** Where the payload (or, for protobuf, the message indexes) starts. */
  readonly offset: number;
}

export function decodeWireHeader(bytes: Buffer): WireHeader {
  if (bytes.length < HEADER || bytes[0] !== MAGIC_BYTE) {
    throw new CodecError(
      'invalid_wire_format',
      'Unknown magic byte: the bytes were not written by a Schema Registry serializer',
    );
  }
  return { schemaId: bytes.readUInt32BE(1), offset: HEADER };
}

export function encodeMessageIndexes(indexes: readonly number[]): Buffer {
  if (indexes.length === 1 && indexes[0] === 0) return Buffer.from([0]);
  const bytes: number[] = [];
  writeVarint(bytes, zigzag(indexes.length));
  for (const i of indexes) writeVarint(bytes, zigzag(i));
  return Buffer.from(bytes);
}

/** Reads message indexes at `offset`; answers them and where the protobuf payload starts. */
export function decodeMessageIndexes(
  bytes: Buffer,
  offset: number,
): { indexes: number[]; offset: number } {
  let at = offset;
  const read = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (at >= bytes.length || shift > 28)
        throw new CodecError('invalid_wire_format', 'Truncated protobuf message indexes');
      const b = bytes[at++]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    return (result >>> 1) ^ -(result & 1);
  };
  const count = read();
  if (count === 0) return { indexes: [0], offset: at };
  if (count < 0 || count > 100)
    throw new CodecError('invalid_wire_format', 'Invalid protobuf message index count');
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(read());
  return { indexes, offset: at };
}

function zigzag(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function writeVarint(out: number[], value: number): void {
  let v = value >>> 0;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
}
