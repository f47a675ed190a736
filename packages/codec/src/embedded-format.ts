/** The embedded data formats of the Confluent REST Proxy v2 API, defined once. */
export const EMBEDDED_FORMATS = ['binary', 'json', 'avro', 'jsonschema', 'protobuf'] as const;

export type EmbeddedFormat = (typeof EMBEDDED_FORMATS)[number];

const FORMAT_SET: ReadonlySet<string> = new Set(EMBEDDED_FORMATS);

export function isEmbeddedFormat(value: string): value is EmbeddedFormat {
  return FORMAT_SET.has(value);
}
