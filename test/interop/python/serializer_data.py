"""The records serializers.py sends and pyiceberg_serializers.py expects (pure Python, imported
from both venvs: the client venv with confluent-kafka, the table-reader venv with pyiceberg).

Avro subject <topic>-value: v1 (ORDER_V1) has a nested record, an array of records, a map, a
decimal, a timestamp-millis, enums and a nullable union; v2 (ORDER_V2) adds `channel`, a union
["string", "null"] with the default "web"; V3_BREAKING are schemas BACKWARD must refuse.
"""
import copy
import datetime
import decimal
import json

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
KINDS = ["KIND_UNSPECIFIED", "KIND_AIR", "KIND_WATER"]
TAKEN_BASE_S = 1_700_000_000
# Reading's fields in declaration order: (name, number). serializers.py builds the descriptor;
# the table's columns come in this order.
READING_FIELDS = [
    "sensor", "seq", "celsius", "tags", "kind", "position", "trail", "counters", "taken",
    "delta", "total", "ok", "blob", "ratio", "flags", "station", "buoy", "level",
]


def reading(i: int) -> dict:
    """Protobuf record i (fields of lakegate.interop.Reading, proto3) as the application sets
    them; a field left out is unset. `taken` is (seconds, nanos) of a google.protobuf.Timestamp,
    `level` the int of a google.protobuf.Int32Value. Every fifth record leaves the scalars
    without presence unset (their defaults are what readers see) and the messages unset
    (null); station/buoy are a oneof, buoy = 0 included (set, so not null)."""
    rec = {
        # int64 values above 2^53 (odd i) and negative ones (even i).
        "seq": (1 << 53) + 1 + i * 1_000_003 if i % 2 else -i,
        "tags": [f"t{j}" for j in range(i % 3)],
        "kind": i % 3,
        # i % 3 entries: empty repeated messages included.
        "trail": [{"lat": i + j / 4, "lon": -(i + j / 8)} for j in range(i % 3)],
        # i % 4 entries: empty maps included; values past 2^53 and negative.
        "counters": {f"c{j}": (i << 40) * (1 if j % 2 else -1) + j for j in range(i % 4)},
        # uint64 up to 2^63 - 1 (above is a bad record by design).
        "total": (1 << 63) - 1 - i,
        "blob": bytes([i & 0xFF, 0, 0xFF, (i >> 8) & 0xFF])[: i % 5],
        # Exact in float32.
        "ratio": i / 8 - 3,
        "flags": 0xFFFFFFFF - i if i % 2 else i,
    }
    if i % 5 != 0:
        rec.update(
            sensor=f"sensor-{i % 7} \u00e9",
            celsius=i * 0.5 - 20.0,
            position={"lat": i / 1000.0, "lon": -i / 1000.0},
            taken=(TAKEN_BASE_S + i * 61, (i * 1_001) % 1_000_000 * 1_000),
            delta=-i if i % 2 else i * 1_000,
            ok=i % 2 == 1,
            level=i - 250,
        )
    if i % 4 == 1:
        rec["station"] = f"st-{i}"
    elif i % 4 == 2:
        rec["buoy"] = i % 8  # 0 for i = 2 mod 8: a set oneof member is not null
    return rec


def expected_reading(i: int) -> dict:
    """Record i as a reader of the typed table must see it (pyarrow's Python values, maps as
    dicts): unset proto3 scalars hold their defaults (0, "", false, the enum's first name),
    unset messages/wrappers/oneof members are null, unset repeated fields and maps empty."""
    r = reading(i)
    taken = r.get("taken")
    return {
        "sensor": r.get("sensor", ""),
        "seq": r["seq"],
        "celsius": r.get("celsius", 0.0),
        "tags": r["tags"],
        "kind": KINDS[r["kind"]],
        "position": r.get("position"),
        "trail": r["trail"],
        "counters": r["counters"],
        # Timestamp -> timestamptz (microseconds; these nanos are whole microseconds).
        "taken": None if taken is None else EPOCH + datetime.timedelta(seconds=taken[0], microseconds=taken[1] // 1_000),
        "delta": r.get("delta", 0),
        "total": r["total"],
        "ok": r.get("ok", False),
        "blob": r["blob"],
        "ratio": r["ratio"],
        "flags": r["flags"],
        "station": r.get("station"),
        "buoy": r.get("buoy"),
        "level": r.get("level"),
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
        "meta": {
            "type": "object",
            "properties": {"source": {"type": "string"}, "geo": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}}},
        },
        "lines": {
            "type": "array",
            "items": {"type": "object", "properties": {"sku": {"type": "string"}, "qty": {"type": "integer"}}, "required": ["sku"]},
        },
        "at": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "note": {"type": ["string", "null"]},
        "ref": {"oneOf": [{"type": "null"}, {"type": "string"}]},
        "big": {"type": "integer"},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "active": {"type": "boolean"},
        "extra": {"type": "object"},
    },
    "required": ["id", "name"],
}
# The table's columns, in the schema's property order.
EVENT_FIELDS = list(EVENT_SCHEMA["properties"])


def event(i: int) -> dict:
    """JSON record i as the application hands it to JSONSerializer."""
    e = {
        "id": i,
        "name": f"event-{i} \u00e9\u2603",
        "score": i * 1.5,
        "tags": [f"t{j}" for j in range(i % 3)],
        "meta": {"source": f"s{i % 5}", "geo": {"lat": i / 100, "lon": -i / 100}},
        "lines": [{"sku": f"sku-{i}-{j}", "qty": i * 10 + j} for j in range(i % 4)],
        # date-time with Z, a positive and a negative offset, 0 to 6 fraction digits.
        "at": _at(i),
        "day": (datetime.date(2024, 2, 28) + datetime.timedelta(days=i % 400)).isoformat(),
        "big": (1 << 60) + i if i % 2 else -((1 << 53) + i),
        "counts": {f"k{j}": (i << 33) + j for j in range(i % 3)},
        "active": i % 2 == 0,
        "extra": {"n": i, "s": f"x{i}", "l": [1, None, True]},
    }
    if i % 3 == 0:
        e["note"] = f"note {i}"
    elif i % 3 == 1:
        e["note"] = None  # and absent when i % 3 == 2: null either way
    if i % 2:
        e["ref"] = f"ref-{i}"
    if i % 7 == 0:
        # Only the required properties: every other column is null.
        e = {"id": i, "name": e["name"]}
    return e


def _at(i: int) -> str:
    t = EPOCH + datetime.timedelta(seconds=TAKEN_BASE_S + i * 3_601, microseconds=i * 7 % 1_000_000)
    if i % 3 == 0:
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    offset = datetime.timezone(datetime.timedelta(hours=5, minutes=30) if i % 3 == 1 else -datetime.timedelta(hours=8))
    local = t.astimezone(offset).replace(microsecond=0)
    # Whole seconds with an offset (the fraction is dropped from the value too).
    return local.isoformat()


def expected_event(i: int) -> dict:
    """Record i as a reader of the typed table must see it: every property a column, null when
    the record leaves it out; date-time a timestamptz, date a date, the free-form `extra` the
    compact JSON text lakegate writes (keys in document order)."""
    e = event(i)
    out = {k: e.get(k) for k in EVENT_FIELDS}
    if out["at"] is not None:
        out["at"] = datetime.datetime.fromisoformat(out["at"].replace("Z", "+00:00"))
    if out["day"] is not None:
        out["day"] = datetime.date.fromisoformat(out["day"])
    if out["extra"] is not None:
        out["extra"] = json.dumps(out["extra"], separators=(",", ":"), ensure_ascii=False)
    if out["meta"] is not None:
        out["meta"] = {"source": out["meta"].get("source"), "geo": out["meta"].get("geo")}
    if out["lines"] is not None:
        out["lines"] = [{"sku": ln["sku"], "qty": ln.get("qty")} for ln in out["lines"]]
    return out
