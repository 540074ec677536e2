"""The records serializers.py sends and pyiceberg_serializers.py expects (pure Python, imported
from both venvs: the client venv with confluent-kafka, the table-reader venv with pyiceberg).

Avro subject <topic>-value: v1 (ORDER_V1) has a nested record, an array of records, a map, a
decimal, a timestamp-millis, enums and a nullable union; v2 (ORDER_V2) adds `channel`, a union
["string", "null"] with the default "web"; V3_BREAKING are schemas BACKWARD must refuse.
"""
import copy
import datetime
import decimal

UTC = datetime.timezone.utc
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_MS = 1_700_000_000_000

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "lakegate.interop",
    "fields": [
        {"name": "id", "type": "long"},
        {
            "name": "customer",
            "type": {
                "type": "record",
                "name": "Customer",
                "fields": [
                    {"name": "name", "type": "string"},
                    {"name": "tier", "type": {"type": "enum", "name": "Tier", "symbols": ["GOLD", "SILVER", "BRONZE"]}},
                ],
            },
        },
        {
            "name": "items",
            "type": {
                "type": "array",
                "items": {"type": "record", "name": "Item", "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int"}]},
            },
        },
        {"name": "attributes", "type": {"type": "map", "values": "string"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "created", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]}},
        {"name": "note", "type": ["null", "string"], "default": None},
    ],
}

# v2: one optional field with a (non-null) default, so BACKWARD accepts it.
ORDER_V2 = copy.deepcopy(ORDER_V1)
ORDER_V2["fields"].append({"name": "channel", "type": ["string", "null"], "default": "web"})

# Breaking successors of v2 under BACKWARD (v3 cannot read v2 data): a field's type changed
# long -> string, and a required field added without a default.
_changed = copy.deepcopy(ORDER_V2)
_changed["fields"][0] = {"name": "id", "type": "string"}
_required = copy.deepcopy(ORDER_V2)
_required["fields"].append({"name": "region", "type": "string"})
V3_BREAKING = {"type-changed": _changed, "required-added": _required}

TIERS = ["GOLD", "SILVER", "BRONZE"]
STATUSES = ["NEW", "PAID", "SHIPPED"]


def order(i: int, version: int) -> dict:
    """Record i as the application hands it to AvroSerializer (v1 for version 1, else v2)."""
    rec = {
        "id": i,
        "customer": {"name": f"customer-{i}", "tier": TIERS[i % 3]},
        # i % 4 items: empty arrays included.
        "items": [{"sku": f"sku-{i}-{j}", "qty": i * 10 + j} for j in range(i % 4)],
        # i % 3 entries: empty maps included.
        "attributes": {f"k{j}": f"v{i}-{j}" for j in range(i % 3)},
        # Negative, zero and positive amounts with 2 decimals, up to 8 integer digits.
        "amount": (decimal.Decimal(i * 1_234_567 - 5_000_000) / 100).quantize(decimal.Decimal("0.01")),
        "created": EPOCH + datetime.timedelta(milliseconds=EPOCH_MS + i * 61_001),
        "status": STATUSES[i % 3],
        "note": None if i % 2 else f"note {i} \u00e9\u2603",
    }
    if version >= 2:
        # Every third v2 record leaves `channel` out: the serializer writes its default "web".
        if i % 3 == 1:
            rec["channel"] = None
        elif i % 3 == 2:
            rec["channel"] = f"ch-{i}"
    return rec


def expected_row(i: int, version: int) -> dict:
    """What a reader must see for record i: v1 rows were committed before v2 existed, so the
    table's files holding them have no `channel` column and readers see null there."""
    rec = order(i, version)
    if version >= 2:
        rec.setdefault("channel", "web")
    else:
        rec["channel"] = None
    return rec


# --------------------------------------------------------------------------- Protobuf
PROTO_PACKAGE = "lakegate.interop"
PROTO_FILE = "lakegate_interop_reading.proto"


def reading(i: int) -> dict:
    """Protobuf record i (fields of lakegate.interop.Reading)."""
    return {
        "sensor": f"sensor-{i % 7}",
        "seq": i,
        "celsius": i * 0.5 - 20.0,
        "tags": [f"t{j}" for j in range(i % 3)],
        "kind": i % 3,
        "position": {"lat": i / 1000.0, "lon": -i / 1000.0},
    }


# --------------------------------------------------------------------------- JSON Schema
EVENT_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Event",
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "score": {"type": "number"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "meta": {"type": "object", "properties": {"source": {"type": "string"}}},
    },
    "required": ["id", "name"],
}


def event(i: int) -> dict:
    return {"id": i, "name": f"event-{i}", "score": i * 1.5, "tags": [f"t{j}" for j in range(i % 3)], "meta": {"source": f"s{i % 5}"}}
