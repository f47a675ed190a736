#!/usr/bin/env python3
"""Golden vectors for packages/codec, produced by independent implementations:
fastavro (Avro binary + Avro JSON decoding), Google's protobuf runtime with json_format
(proto3 JSON mapping, compiled by grpcio-tools' protoc) and Python's json module (JSON Schema
payloads). The Confluent wire format (magic byte, big-endian id, zig-zag message indexes) is
assembled here independently of the TypeScript code.

Run by hand when the vector set changes, never in CI:
    python3 -m venv /tmp/golden && /tmp/golden/bin/pip install fastavro protobuf grpcio-tools
    /tmp/golden/bin/python packages/codec/golden/generate.py
and commit the resulting vectors.json. The TypeScript tests compare against it byte for byte.
"""
import importlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile

import fastavro
from google.protobuf import json_format

HERE = os.path.dirname(os.path.abspath(__file__))


def zigzag_varint(n):
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def message_indexes(indexes):
    if indexes == [0]:
        return b"\x00"
    return zigzag_varint(len(indexes)) + b"".join(zigzag_varint(i) for i in indexes)


def wire(schema_id, payload, indexes=None):
    head = b"\x00" + struct.pack(">I", schema_id)
    return head + (message_indexes(indexes) if indexes is not None else b"") + payload


vectors = []

# ---- Avro: the input is the Avro JSON encoding; fastavro's JSON reader decodes it ----------
AVRO = [
    ("avro-string", '"string"', "héllo wörld ✓ 🚀"),
    ("avro-long", '"long"', -9007199254740991),
    ("avro-nullable-union", '["null","string"]', {"string": "x"}),
    ("avro-nullable-union-null", '["null","string"]', None),
    (
        "avro-record-everything",
        json.dumps({
            "type": "record", "name": "Order", "namespace": "com.example",
            "fields": [
                {"name": "id", "type": "string"},
                {"name": "qty", "type": "int"},
                {"name": "total", "type": "long"},
                {"name": "price", "type": "double"},
                {"name": "ratio", "type": "float"},
                {"name": "paid", "type": "boolean"},
                {"name": "note", "type": ["null", "string"], "default": None},
                {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]}},
                {"name": "tags", "type": {"type": "array", "items": "string"}},
                {"name": "attrs", "type": {"type": "map", "values": "long"}},
                {"name": "raw", "type": "bytes"},
                {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
                {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
                {"name": "day", "type": {"type": "int", "logicalType": "date"}},
                {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
                {"name": "customer", "type": {"type": "record", "name": "Customer", "fields": [
                    {"name": "name", "type": "string"},
                    {"name": "vip", "type": ["null", "boolean"], "default": None},
                ]}},
                {"name": "choice", "type": ["null", "int", "string", "Customer"]},
            ],
        }),
        {
            "id": "o-1", "qty": 3, "total": 1234567890123, "price": 19.5, "ratio": 0.25, "paid": True,
            "note": {"string": "üñí©ødé"}, "status": "PAID", "tags": ["a", "b"], "attrs": {"x": 1, "y": -2},
            "raw": "\u0000\u00ff\u0010", "hash": "abcd", "amount": "\u0004\u00d2", "day": 19000,
            "at": 1700000000123, "ref": "6f1e4b1a-1111-4222-8333-444455556666",
            "customer": {"name": "Zoë", "vip": {"boolean": True}},
            "choice": {"com.example.Customer": {"name": "inner", "vip": None}},
        },
    ),
]

for name, schema_text, value in AVRO:
    parsed = fastavro.parse_schema(json.loads(schema_text))
    reader = fastavro.json_reader(io.StringIO(json.dumps(value)), parsed)
    datum = next(iter(reader))
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, parsed, datum)
    vectors.append({"name": name, "format": "avro", "schema": schema_text, "schemaId": 1, "input": value,
                    "decoded": value, "hex": wire(1, buf.getvalue()).hex()})

# ---- JSON Schema: compact UTF-8 JSON text ---------------------------------------------------
JSONS = [
    ("jsonschema-object", {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                       "tags": {"type": "array", "items": {"type": "string"}},
                       "address": {"type": ["object", "null"]}},
        "required": ["name"]},
     {"name": "Åsa 🚀", "age": 42, "tags": ["x", "y"], "address": None}),
    ("jsonschema-2020-nested", {
        "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
        "properties": {"items": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]}}},
     {"items": [7, "seven"], "extra": {"deep": [True, False, None]}}),
    ("jsonschema-string", {"type": "string"}, "plain \"quoted\" text"),
]
for name, schema, value in JSONS:
    payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    vectors.append({"name": name, "format": "jsonschema", "schema": json.dumps(schema), "schemaId": 2,
                    "input": value, "decoded": value, "hex": wire(2, payload).hex()})

# ---- Protobuf: protoc-compiled classes, json_format both ways ---------------------------------
PROTO = """syntax = "proto3";
package golden.v1;

message Order {
  string order_id = 1;
  int32 quantity = 2;
  int64 total_cents = 3;
  double price = 4;
  bool paid = 5;
  Status status = 6;
  repeated string tags = 7;
  map<string, int64> attributes = 8;
  bytes raw = 9;
  Customer customer = 10;
  repeated Line lines = 11;
  sint64 delta = 12;
  enum Status {
    STATUS_UNKNOWN = 0;
    STATUS_NEW = 1;
    STATUS_PAID = 2;
  }
  message Line {
    string sku = 1;
    uint32 count = 2;
  }
}

message Customer {
  string full_name = 1;
  bool vip = 2;
}
"""
PROTO_INPUTS = [
    ("protobuf-order", "Order", [0], {
        "order_id": "o-1", "quantity": 3, "totalCents": "1234567890123", "price": 19.5, "paid": True,
        "status": "STATUS_PAID", "tags": ["a", "ü"], "attributes": {"x": "1", "y": "-2"},
        "raw": "AP8Q", "customer": {"fullName": "Zoë", "vip": True},
        "lines": [{"sku": "A-1", "count": 2}, {"sku": "B-2"}], "delta": "-5"}),
    ("protobuf-defaults-omitted", "Order", [0], {"order_id": "", "quantity": 0, "paid": False}),
]
with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "golden.proto"), "w") as f:
        f.write(PROTO)
    subprocess.check_call([sys.executable, "-m", "grpc_tools.protoc", f"-I{tmp}", f"--python_out={tmp}", "golden.proto"])
    sys.path.insert(0, tmp)
    module = importlib.import_module("golden_pb2")
    for name, message, indexes, value in PROTO_INPUTS:
        msg = getattr(module, message)()
        json_format.Parse(json.dumps(value), msg)
        payload = msg.SerializeToString(deterministic=True)
        decoded = json_format.MessageToDict(msg)
        vectors.append({"name": name, "format": "protobuf", "schema": PROTO, "schemaId": 3, "input": value,
                        "decoded": decoded, "messageIndexes": indexes, "hex": wire(3, payload, indexes).hex()})
    # reading a record of the second message (indexes [1]) written by another producer
    cust = module.Customer(full_name="Second Message", vip=True)
    vectors.append({"name": "protobuf-second-message", "format": "protobuf", "schema": PROTO, "schemaId": 3,
                    "input": None, "decoded": json_format.MessageToDict(cust), "messageIndexes": [1],
                    "hex": wire(3, cust.SerializeToString(), [1]).hex()})

with open(os.path.join(HERE, "vectors.json"), "w", encoding="utf-8") as f:
    json.dump({"generator": "packages/codec/golden/generate.py", "fastavro": fastavro.__version__,
               "vectors": vectors}, f, ensure_ascii=False, indent=2)
    f.write("\n")
print(f"wrote {len(vectors)} vectors")
