"""confluent-kafka's schema-registry serializers (AvroSerializer, ProtobufSerializer,
JSONSerializer) against lakegate's built-in registry and Kafka port.

  serializers.py avro-v1  BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT
  serializers.py avro-v2  BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT   (then tries the breaking v3s)
  serializers.py protobuf BOOTSTRAP REGISTRY TOPIC FIRST COUNT OUT
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
    """lakegate.interop.Reading, built from a FileDescriptorProto (no protoc needed):
    message Reading { string sensor = 1; int64 seq = 2; double celsius = 3;
    repeated string tags = 4; Kind kind = 5; Position position = 6; }
    message Position { double lat = 1; double lon = 2; }  enum Kind { ... } (proto3)."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.message_factory import GetMessageClass

    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name=data.PROTO_FILE, package=data.PROTO_PACKAGE, syntax="proto3")
    m = fdp.message_type.add(name="Reading")
    m.field.add(name="sensor", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    m.field.add(name="seq", number=2, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL)
    m.field.add(name="celsius", number=3, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    m.field.add(name="tags", number=4, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    m.field.add(name="kind", number=5, type=F.TYPE_ENUM, type_name=f".{data.PROTO_PACKAGE}.Kind", label=F.LABEL_OPTIONAL)
    m.field.add(name="position", number=6, type=F.TYPE_MESSAGE, type_name=f".{data.PROTO_PACKAGE}.Position", label=F.LABEL_OPTIONAL)
    p = fdp.message_type.add(name="Position")
    p.field.add(name="lat", number=1, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    p.field.add(name="lon", number=2, type=F.TYPE_DOUBLE, label=F.LABEL_OPTIONAL)
    e = fdp.enum_type.add(name="Kind")
    for n, name in enumerate(["KIND_UNSPECIFIED", "KIND_AIR", "KIND_WATER"]):
        e.value.add(name=name, number=n)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return GetMessageClass(pool.FindMessageTypeByName(f"{data.PROTO_PACKAGE}.Reading"))


def protobuf(bootstrap, registry, topic, first, count, out):
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    Reading = reading_class()
    client = SchemaRegistryClient({"url": registry})
    ser = ProtobufSerializer(Reading, client, {"auto.register.schemas": True})
    ctx = SerializationContext(topic, MessageField.VALUE)
    values, payloads = [], {}
    for i in range(first, first + count):
        msg = Reading(**data.reading(i))
        values.append((i, ser(msg, ctx)))
        payloads[i] = msg.SerializeToString()
    latest = client.get_latest_version(f"{topic}-value")
    for i, v in values:
        # After the id: the message-index list, [0] (the file's first message) written as one 0 byte.
        rest = check_framing(v, latest.schema_id)
        assert rest[0] == 0 and rest[1:] == payloads[i], f"record {i}: payload is not index [0] + the message's bytes"
    acked = produce(bootstrap, topic, values, out)
    return {"schema_id": latest.schema_id, "version": latest.version, "acked": acked, "schema_type": latest.schema.schema_type}


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
    elif mode == "json":
        result = json_schema(bootstrap, registry, topic, first, count, out)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
