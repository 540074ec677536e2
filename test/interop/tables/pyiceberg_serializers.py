"""pyiceberg (through lakegate's Iceberg REST catalog) reads the tables of the topics that
serializers.test.ts filled with confluent-kafka's serializers, and compares every row with
what was sent: the records are recomputed here from ../python/serializer_data.py, and the
client's acknowledgements (ACKS files, "i<TAB>partition<TAB>offset<TAB>value hex") say which
record sits at which Kafka partition/offset.

  python pyiceberg_serializers.py avro --uri URI --table kafka.<t> --v2-from N ACKS...
      typed Avro table: records i < N are v1, the others v2
  python pyiceberg_serializers.py raw  --uri URI --table kafka.<t> ACKS...
      raw table: `value` must hold exactly the bytes the serializer produced

Prints "RESULT {json}": the current schema (field -> type), how many schemas the table has,
the row count, and up to 10 mismatches (empty when every row equals what was sent).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import serializer_data as data  # noqa: E402
from pyiceberg.catalog.rest import RestCatalog  # noqa: E402


def read_acks(files):
    at = {}
    for name in files:
        with open(name) as f:
            for line in f:
                i, p, o, value = line.rstrip("\n").split("\t")
                at[(int(p), int(o))] = (int(i), bytes.fromhex(value))
    return at


def plain(v, type_str):
    """pyarrow's Python value in the form the application used: a map column comes back as a
    list of (key, value) pairs (the maps here are top-level map<string, string> columns)."""
    if v is not None and type_str.startswith("map<"):
        return dict(v)
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["avro", "raw"])
    ap.add_argument("--uri", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--v2-from", type=int, default=0)
    ap.add_argument("acks", nargs="+")
    a = ap.parse_args()
    table = RestCatalog("lakegate", uri=a.uri).load_table(a.table)
    schema = {f.name: str(f.field_type) for f in table.schema().fields}
    rows = table.scan().to_arrow().to_pylist()
    acks = read_acks(a.acks)
    mismatches = []
    seen = set()
    for row in rows:
        where = (row["_kafka_partition"], row["_kafka_offset"])
        if where in seen:
            mismatches.append(f"{where}: two rows")
        seen.add(where)
        if where not in acks:
            mismatches.append(f"{where}: a row no record was acknowledged at")
            continue
        i, sent = acks[where]
        if a.mode == "raw":
            if row["value"] != sent:
                mismatches.append(f"{where} record {i}: value {row['value'][:40]!r}... is not the {len(sent)} bytes sent")
            continue
        want = data.expected_row(i, 1 if i < a.v2_from else 2)
        got = {k: plain(v, schema[k]) for k, v in row.items() if not k.startswith("_kafka_")}
        if got != want:
            diff = {k: [got.get(k), want.get(k)] for k in sorted(set(got) | set(want)) if got.get(k) != want.get(k)}
            mismatches.append(f"{where} record {i}: [read, sent] {diff!r}")
    missing = sorted(set(acks) - seen)
    if missing:
        mismatches.append(f"{len(missing)} acknowledged records have no row, e.g. at {missing[:5]}")
    print(
        "RESULT "
        + json.dumps(
            {
                "schema": schema,
                "schemas": len(table.schemas()),
                "rows": len(rows),
                "mismatches": mismatches[:10],
                "mismatch_count": len(mismatches),
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
