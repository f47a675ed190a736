import * as protobuf from 'protobufjs';
import { CodecError } from '../errors';
import type { ParsedSchema } from './parsed-schema';

/** Schema texts of the files a schema imports, by import name (from registry references). */
export type ImportedFiles = ReadonlyMap<string, string>;

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED_LONG_TYPES = new Set(['uint64', 'fixed64']);
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;
const DECIMAL = /^-?\d+$/;
const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const FLOAT_TYPES = new Set(['double', 'float']);

/**
 * Protobuf with the proto3 JSON mapping Confluent's REST Proxy uses (JsonFormat): input accepts
 * field names as written in the .proto or in lowerCamelCase, enums by name or number, 64-bit
 * integers as numbers or strings, bytes as base64; output uses lowerCamelCase names, 64-bit
 * integers as strings, enums by name, and omits fields at their default value. Records use the
 * first message of the schema (message indexes `[0]`); reading honours the indexes in the bytes.
 * Messages are found by protobufjs' parser, never by matching lines, so any layout of the text
 * (Confluent's one-line quickstart schemas, comments mentioning "message") reads the same.
 */
export function parseProtobuf(text: string, imports: ImportedFiles = new Map()): ParsedSchema {
  const root = new protobuf.Root();
  let first: protobuf.Type;
  let fileTypes: protobuf.Type[] = [];
  try {
    const added = new Set<string>();
    const addFile = (source: string, isMain: boolean): void => {
      const parsed = protobuf.parse(source, root, { keepCase: true, alternateCommentMode: true });
      // Taken before any import is parsed: a package shared with imported files then holds their
      // messages too, after this file's own ones (namespaces keep insertion order).
      if (isMain) fileTypes = messagesOf(parsed.package ? root.lookup(parsed.package) : root);
      for (const dep of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
        if (added.has(dep)) continue;
        added.add(dep);
        const common = dep.startsWith('google/protobuf/') ? protobuf.common.get(dep) : null;
        if (common) root.addJSON(common.nested ?? {});
        else {
          const importedText = imports.get(dep);
          if (importedText === undefined)
            throw new Error(`import "${dep}" was not supplied by the registry references`);
          addFile(importedText, false);
        }
      }
    };
    addFile(text, true);
    root.resolveAll();
    if (fileTypes.length === 0) throw new Error('the schema defines no message');
    first = fileTypes[0]!;
  } catch (err) {
    throw new CodecError(
      'schema_invalid',
      `Invalid Protobuf schema: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return {
    schemaType: 'PROTOBUF',
    recordName: first.fullName.replace(/^\./, ''),
    encode(value: unknown): { payload: Buffer; messageIndexes: number[] } {
      const plain = fromJson(first, value, '');
      const message = first.fromObject(plain);
      return { payload: Buffer.from(first.encode(message).finish()), messageIndexes: [0] };
    },
    decode(payload: Buffer, messageIndexes: readonly number[] = [0]): unknown {
      let type: protobuf.Type | undefined = fileTypes[messageIndexes[0] ?? 0];
      for (const i of messageIndexes.slice(1))
        type = type === undefined ? undefined : messagesOf(type)[i];
      if (type === undefined)
        throw new CodecError(
          'deserialization_failed',
          `No message at indexes [${messageIndexes.join(', ')}] in the writer schema`,
        );
      try {
        const message = type.decode(payload);
        const obj = type.toObject(message, {
          longs: String,
          enums: String,
          bytes: String,
          defaults: false,
          json: true,
        });
        return toJson(type, obj);
      } catch (err) {
        throw new CodecError(
          'deserialization_failed',
          `Bytes do not decode with the Protobuf writer schema: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    },
  };
}

/**
 * The messages declared directly in a namespace or message, in declaration order: what message
 * indexes count, as Confluent's serializer numbers them (ProtobufSchema.toMessageIndexes counts
 * message declarations only, skipping enums, services and extensions; map fields and proto2
 * groups are not declarations of their own there, so their synthetic types are skipped too).
 */
function messagesOf(ns: protobuf.ReflectionObject | null): protobuf.Type[] {
  if (!(ns instanceof protobuf.Namespace)) return [];
  return ns.nestedArray.filter(
    (n): n is protobuf.Type => n instanceof protobuf.Type && !isGroup(n),
  );
}

/** `Type#group` exists at run time but is missing from protobufjs' class typings. */
function isGroup(type: protobuf.Type): boolean {
  return (type as { group?: boolean }).group === true;
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function mismatch(path: string, expected: string): CodecError {
  return new CodecError(
    'schema_mismatch',
    `Value does not match the Protobuf schema at ${path || '<root>'}: expected ${expected}`,
  );
}

/** Proto3 JSON → the plain object protobufjs' fromObject takes, checking JSON types on the way. */
function fromJson(type: protobuf.Type, json: unknown, path: string): Record<string, unknown> {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw mismatch(path, `a ${type.name} object`);
  const out: Record<string, unknown> = {};
  const fields = type.fields;
  for (const [key, v] of Object.entries(json as Record<string, unknown>)) {
    const field = fields[key] ?? type.fieldsArray.find((f) => lowerCamel(f.name) === key);
    if (field === undefined)
      throw new CodecError(
        'schema_mismatch',
        `Unknown field ${path ? `${path}.` : ''}${key} for ${type.name}`,
      );
    if (v === null) continue;
    // fields without presence (proto3 singular scalars) are not written at their default value,
    // as protoc does; the parser's view of the field decides, not a look at the syntax line
    if (!field.repeated && !field.map && !hasPresence(field) && isDefault(field, v)) continue;
    const p = path ? `${path}.${key}` : key;
    if (field.map) {
      if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(p, 'an object (map)');
      const m: Record<string, unknown> = {};
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        // JavaScript objects cannot hold this key as data (protobufjs drops it on decode):
        // refuse it instead of losing it silently
        if (mk === '__proto__') throw mismatch(`${p}.${mk}`, 'a map key other than "__proto__"');
        m[mk] = fromJsonValue(field, mv, `${p}.${mk}`);
      }
      out[field.name] = m;
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw mismatch(p, 'an array');
      out[field.name] = v.map((item, i) => fromJsonValue(field, item, `${p}[${i}]`));
    } else {
      out[field.name] = fromJsonValue(field, v, p);
    }
  }
  return out;
}

/**
 * protobufjs derives presence from the file's syntax (proto2, oneofs and proto3 `optional` have
 * it); message fields always have it, which protobufjs only reports once types are resolved.
 */
function hasPresence(field: protobuf.Field): boolean {
  return field.hasPresence || field.resolvedType instanceof protobuf.Type;
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum)
    return v === 0 || (typeof v === 'string' && resolved.values[v] === 0);
  if (field.type === 'string' || field.type === 'bytes') return v === '';
  if (field.type === 'bool') return v === false;
  return v === 0 || v === '0' || v === '-0';
}

function fromJsonValue(field: protobuf.Field, v: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return fromJson(resolved, v, path);
  if (resolved instanceof protobuf.Enum) {
    if (typeof v === 'string' && v in resolved.values) return v;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    throw mismatch(path, `one of ${Object.keys(resolved.values).join(', ')}`);
  }
  const t = field.type;
  if (LONG_TYPES.has(t)) return exactLong(t, v, path);
  if (INT_TYPES.has(t)) {
    const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n)) return n;
    throw mismatch(path, `an integer (${t})`);
  }
  if (FLOAT_TYPES.has(t)) {
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v); // an integer beyond 2^53: its nearest double
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
    throw mismatch(path, `a number (${t})`);
  }
  if (t === 'bool') {
    if (typeof v === 'boolean') return v;
    throw mismatch(path, 'a boolean');
  }
  if (t === 'string') {
    if (typeof v === 'string') return v;
    throw mismatch(path, 'a string');
  }
  if (t === 'bytes') {
    if (typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return v;
    throw mismatch(path, 'base64 bytes');
  }
  return v;
}

/**
 * A 64-bit integer from JSON (a number, a BigInt from the exact parse of an integer beyond 2^53,
 * or a decimal string, as JsonFormat takes them), range-checked for its type and handed to
 * protobufjs as its decimal string, which protobufjs reads into a Long without rounding.
 */
function exactLong(t: string, v: unknown, path: string): string {
  let n: bigint | undefined;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && DECIMAL.test(v)) n = BigInt(v);
  const unsigned = UNSIGNED_LONG_TYPES.has(t);
  if (n === undefined || n < (unsigned ? 0n : MIN_INT64) || n > (unsigned ? MAX_UINT64 : MAX_INT64))
    throw mismatch(path, `a 64-bit integer (${t})`);
  return n.toString();
}

/** protobufjs' toObject output (original names) → proto3 JSON names (lowerCamelCase). */
function toJson(type: protobuf.Type, obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined) continue;
    const name = lowerCamel(field.name);
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    if (nested === undefined) out[name] = v;
    else if (field.map) {
      const m: Record<string, unknown> = {};
      for (const [k, mv] of Object.entries(v as Record<string, Record<string, unknown>>))
        m[k] = toJson(nested, mv);
      out[name] = m;
    } else if (field.repeated)
      out[name] = (v as Record<string, unknown>[]).map((x) => toJson(nested, x));
    else out[name] = toJson(nested, v as Record<string, unknown>);
  }
  return out;
}
