"""confluent-kafka's schema-registry serializers (AvroSerializer, ProtobufSerializer,
JSONSerializer) against lakegate's built-in registry and Kafka port.

  serializers.py avro-v1  BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT
  serializers.py avro-v2  BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT   (then tries the breaking v3s)
  serializers.py protobuf BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT
  serializers.py protobuf-refs BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT   (skip.known.types=false)
  serializers.py json     BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT

Records FIRST..FIRST+COUNT-1 (serializer_data.py) are serialized with auto.register.schemas
(the serializer registers its schema under TOPIC-value, TopicNameStrategy) and sent by one
idempotent producer (enable.idempotence=true, acks=all). OUT gets one line per acknowledged
record: "i<TAB>partition<TAB>offset<TAB>value as hex". The last stdout line is "RESULT {json}"
(schema id, what the registry answered to the breaking schemas, ...). Exit 0 only if every
record was acknowledged and every check here passed; anything else is a traceback.
"""
import json
import sys
from importlib.metadata import version

from confluent_kafka import Producer
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

import serializer_data as data


def produce(bootstrap, topic, values, out):
    """Sends (i, value) pairs with one idempotent producer; every one must be acknowledged."""
    producer = Producer({"bootstrap.servers": bootstrap, "client.id": "lakegate-interop-serializers", "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    acks, errors = {}, []

    def report(i):
        def cb(err, msg):
            if err is not None:
                errors.append(f"record {i}: {err}")
            else:
                acks[i] = (msg.partition(), msg.offset(), msg.value())
        return cb

    for i, value in values:
        while True:
            try:
                producer.produce(topic, value=value, on_delivery=report(i))
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    left = producer.flush(60)
    assert left == 0, f"{left} records still unacknowledged after 60 s"
    assert not errors, f"{len(errors)} delivery errors, e.g. {errors[:3]}"
    assert sorted(acks) == [i for i, _ in values], "every record must have exactly one delivery report"
    with open(out, "w") as f:
        for i in sorted(acks):
            p, o, v = acks[i]
            f.write(f"{i}\t{p}\t{o}\t{v.hex()}\n")
    return len(acks)


def check_framing(value: bytes, schema_id: int, payload_offset: int = 5):
    # Confluent wire format: magic byte 0, the schema id as 4 bytes big-endian, then the payload.
    assert value[0] == 0, f"magic byte {value[0]}"
    got = int.from_bytes(value[1:5], "big")
    assert got == schema_id, f"schema id in the value is {got}, the registry answered {schema_id}"
    return value[payload_offset:]


def avro(phase, bootstrap, registry, topic, first, count, out):
    from confluent_kafka.schema_registry.avro import AvroSerializer

    client = SchemaRegistryClient({"url": registry})
    subject = f"{topic}-value"
    schema = data.ORDER_V1 if phase == 1 else data.ORDER_V2
    ser = AvroSerializer(client, json.dumps(schema), conf={"auto.register.schemas": True})
    ctx = SerializationContext(topic, MessageField.VALUE)
    # Serializing the first record registers the schema, before the producer sends anything
    # (and so before the topic and its table exist: value.format=auto looks at the subject then).
    values = [(i, ser(data.order(i, phase), ctx)) for i in range(first, first + count)]
    latest = client.get_latest_version(subject)
    assert latest.version == phase, f"latest version of {subject} is {latest.version}, expected {phase}"
    schema_id = latest.schema_id
    for _, v in values:
        check_framing(v, schema_id)
    acked = produce(bootstrap, topic, values, out)
    result = {"schema_id": schema_id, "version": latest.version, "acked": acked}
    if phase == 2:
        refused = {}
        for name, v3 in data.V3_BREAKING.items():
            try:
                got = client.register_schema(subject, Schema(json.dumps(v3), "AVRO"))
                refused[name] = {"registered": got}
            except SchemaRegistryError as e:
                refused[name] = {"http_status_code": e.http_status_code, "error_code": e.error_code, "message": e.error_message}
        # The serializer's own auto-registration of a breaking schema fails the same way.
        try:
            AvroSerializer(client, json.dumps(data.V3_BREAKING["type-changed"]))(dict(data.order(0, 2), id="x"), ctx)
            refused["serializer"] = {"registered": True}
        except SchemaRegistryError as e:
            refused["serializer"] = {"http_status_code": e.http_status_code, "error_code": e.error_code, "message": e.error_message}
        result["v3"] = refused
        result["versions_after_v3"] = client.get_versions(subject)
        result["latest_after_v3"] = client.get_latest_version(subject).schema_id
    return result


def reading_class():
    """lakegate.interop.Reading, built from a FileDescriptorProto (no protoc needed), proto3:

      import "google/protobuf/timestamp.proto"; import "google/protobuf/wrappers.proto";
      message Reading {
        string sensor = 1; int64 seq = 2; double celsius = 3; repeated string tags = 4;
        Kind kind = 5; Position position = 6; repeated Position trail = 7;
        map<string, int64> counters = 8; google.protobuf.Timestamp taken = 9;
        sint32 delta = 10; uint64 total = 11; bool ok = 12; bytes blob = 13; float ratio = 14;
        fixed32 flags = 15; oneof source { string station = 16; int32 buoy = 17; }
        google.protobuf.Int32Value level = 18;
      }
      message Position { double lat = 1; double lon = 2; }
      enum Kind { KIND_UNSPECIFIED = 0; KIND_AIR = 1; KIND_WATER = 2; }

    The map is a repeated nested CountersEntry { string key = 1; int64 value = 2; } with
    options.map_entry, as protoc writes it. The imports are well-known files, which the
    serializer registers as references only with skip.known.types=false (the default, true,
    leaves them to the registry, which must know them)."""
    from google.protobuf import descriptor_pb2, descriptor_pool, timestamp_pb2, wrappers_pb2
    from google.protobuf.message_factory import GetMessageClass

    F = descriptor_pb2.FieldDescriptorProto
    P = f".{data.PROTO_PACKAGE}"
    fdp = descriptor_pb2.FileDescriptorProto(name=data.PROTO_FILE, package=data.PROTO_PACKAGE, syntax="proto3")
    fdp.dependency.extend([timestamp_pb2.DESCRIPTOR.name, wrappers_pb2.DESCRIPTOR.name])
    m = fdp.message_type.add(name="Reading")
    one, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    for name, number, type_, label, type_name in [
        ("sensor", 1, F.TYPE_STRING, one, None),
        ("seq", 2, F.TYPE_INT64, one, None),
        ("celsius", 3, F.TYPE_DOUBLE, one, None),
        ("tags", 4, F.TYPE_STRING, rep, None),
        ("kind", 5, F.TYPE_ENUM, one, f"{P}.Kind"),
        ("position", 6, F.TYPE_MESSAGE, one, f"{P}.Position"),
        ("trail", 7, F.TYPE_MESSAGE, rep, f"{P}.Position"),
        ("counters", 8, F.TYPE_MESSAGE, rep, f"{P}.Reading.CountersEntry"),
        ("taken", 9, F.TYPE_MESSAGE, one, ".google.protobuf.Timestamp"),
        ("delta", 10, F.TYPE_SINT32, one, None),
        ("total", 11, F.TYPE_UINT64, one, None),
        ("ok", 12, F.TYPE_BOOL, one, None),
        ("blob", 13, F.TYPE_BYTES, one, None),
        ("ratio", 14, F.TYPE_FLOAT, one, None),
        ("flags", 15, F.TYPE_FIXED32, one, None),
        ("station", 16, F.TYPE_STRING, one, None),
        ("buoy", 17, F.TYPE_INT32, one, None),
        ("level", 18, F.TYPE_MESSAGE, one, ".google.protobuf.Int32Value"),
    ]:
        f = m.field.add(name=name, number=number, type=type_, label=label)
        if type_name:
            f.type_name = type_name
        if name in ("station", "buoy"):
            f.oneof_index = 0
    m.oneof_decl.add(name="source")
    entry = m.nested_type.add(name="CountersEntry")
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=one)
    entry.field.add(name="value", number=2, type=F.TYPE_INT64, label=one)
    entry.options.map_entry = True
    assert [f.name for f in m.field] == data.READING_FIELDS
    p = fdp.message_type.add(name="Position")
    p.field.add(name="lat", number=1, type=F.TYPE_DOUBLE, label=one)
    p.field.add(name="lon", number=2, type=F.TYPE_DOUBLE, label=one)
    e = fdp.enum_type.add(name="Kind")
    for n, name in enumerate(data.KINDS):
        e.value.add(name=name, number=n)
    pool = descriptor_pool.DescriptorPool()
    for dep in (timestamp_pb2, wrappers_pb2):
        dep_fdp = descriptor_pb2.FileDescriptorProto()
        dep.DESCRIPTOR.CopyToProto(dep_fdp)
        pool.Add(dep_fdp)
    pool.Add(fdp)
    return GetMessageClass(pool.FindMessageTypeByName(f"{data.PROTO_PACKAGE}.Reading"))


def reading_message(Reading, i):
    """Record i of serializer_data.reading as a Reading message (unset fields stay unset)."""
    rec = dict(data.reading(i))
    taken = rec.pop("taken", None)
    level = rec.pop("level", None)
    msg = Reading(**rec)
    if taken is not None:
        msg.taken.seconds, msg.taken.nanos = taken
    if level is not None:
        msg.level.value = level
    return msg


def protobuf(bootstrap, registry, topic, first, count, out, skip_known_types=True):
    """skip_known_types=False: the serializer also registers the google/protobuf files it
    imports, each under its own subject (the file name), and refers to them."""
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    Reading = reading_class()
    client = SchemaRegistryClient({"url": registry})
    ser = ProtobufSerializer(Reading, client, {"auto.register.schemas": True, "skip.known.types": skip_known_types})
    ctx = SerializationContext(topic, MessageField.VALUE)
    values, payloads = [], {}
    for i in range(first, first + count):
        msg = reading_message(Reading, i)
        values.append((i, ser(msg, ctx)))
        payloads[i] = msg.SerializeToString()
    latest = client.get_latest_version(f"{topic}-value")
    for i, v in values:
        # After the id: the message-index list, [0] (the file's first message) written as one 0 byte.
        rest = check_framing(v, latest.schema_id)
        assert rest[0] == 0 and rest[1:] == payloads[i], f"record {i}: payload is not index [0] + the message's bytes"
    acked = produce(bootstrap, topic, values, out)
    return {
        "schema_id": latest.schema_id,
        "version": latest.version,
        "acked": acked,
        "schema_type": latest.schema.schema_type,
        "references": [{"name": r.name, "subject": r.subject, "version": r.version} for r in latest.schema.references or []],
    }


def json_schema(bootstrap, registry, topic, first, count, out):
    from confluent_kafka.schema_registry.json_schema import JSONSerializer

    client = SchemaRegistryClient({"url": registry})
    schema_str = json.dumps(data.EVENT_SCHEMA)
    ser = JSONSerializer(schema_str, client, conf={"auto.register.schemas": True})
    ctx = SerializationContext(topic, MessageField.VALUE)
    values = [(i, ser(data.event(i), ctx)) for i in range(first, first + count)]
    latest = client.get_latest_version(f"{topic}-value")
    for i, v in values:
        assert json.loads(check_framing(v, latest.schema_id)) == data.event(i), f"record {i}: payload is not the event's JSON"
    acked = produce(bootstrap, topic, values, out)
    return {"schema_id": latest.schema_id, "version": latest.version, "acked": acked, "schema_type": latest.schema.schema_type, "schema": schema_str}


def main():
    if len(sys.argv) != 8:
        print(__doc__, file=sys.stderr)
        return 64
    mode, bootstrap, registry, topic, first, count, out = sys.argv[1:]
    first, count = int(first), int(count)
    print(f"confluent-kafka {version('confluent-kafka')}, fastavro {version('fastavro')}, protobuf {version('protobuf')}, jsonschema {version('jsonschema')}", file=sys.stderr)
    if mode in ("avro-v1", "avro-v2"):
        result = avro(int(mode[-1]), bootstrap, registry, topic, first, count, out)
    elif mode == "protobuf":
        result = protobuf(bootstrap, registry, topic, first, count, out)
    elif mode == "protobuf-refs":
        result = protobuf(bootstrap, registry, topic, first, count, out, skip_known_types=False)
    elif mode == "json":
        result = json_schema(bootstrap, registry, topic, first, count, out)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
