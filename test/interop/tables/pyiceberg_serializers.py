"""pyiceberg (through lakegate's Iceberg REST catalog) reads the tables of the topics that
serializers.test.ts filled with confluent-kafka's serializers, and compares every row with
what was sent: the records are recomputed here from ../python/serializer_data.py, and the
client's acknowledgements (ACKS files, "i<TAB>partition<TAB>offset<TAB>value hex") say which
record sits at which Kafka partition/offset.

  python pyiceberg_serializers.py avro --uri URI --table kafka.<t> --v2-from N ACKS...
      typed Avro table: records i < N are v1, the others v2
  python pyiceberg_serializers.py protobuf --uri URI --table kafka.<t> ACKS...
      typed Protobuf table: every row is serializer_data.expected_reading(i)
  python pyiceberg_serializers.py json --uri URI --table kafka.<t> ACKS...
      typed JSON Schema table: every row is serializer_data.expected_event(i)

Prints "RESULT {json}": the current schema (field -> type), how many schemas the table has,
the row count, up to 10 mismatches (empty when every row equals what was sent), and how many
null list<struct> values pyiceberg read as [] while the data file holds null (see main).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

import pyarrow.parquet as pq  # noqa: E402
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
    list of (key, value) pairs (the maps here are all top-level columns)."""
    if v is not None and type_str.startswith("map<"):
        return dict(v)
    return v


def nulls_at_rest(table, columns):
    """(partition, offset) -> the columns that are null in the data file itself, read with
    pyarrow straight from the files the scan plans (no pyiceberg projection)."""
    out = {}
    for task in table.scan().plan_files():
        with table.io.new_input(task.file.file_path).open() as f:
            t = pq.read_table(f, columns=["_kafka_partition", "_kafka_offset", *columns])
        for r in t.to_pylist():
            out[(r["_kafka_partition"], r["_kafka_offset"])] = {c for c in columns if r[c] is None}
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["avro", "protobuf", "json"])
    ap.add_argument("--uri", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--v2-from", type=int, default=0)
    ap.add_argument("acks", nargs="+")
    a = ap.parse_args()
    table = RestCatalog("lakegate", uri=a.uri).load_table(a.table)
    schema = {f.name: str(f.field_type) for f in table.schema().fields}
    rows = table.scan().to_arrow().to_pylist()
    acks = read_acks(a.acks)
    # pyiceberg rebuilds list<struct> columns without their validity bitmap, so a null one reads
    # as [] (apache/iceberg-python#251, #3833: open in 0.12.0). For those columns a [] where
    # null was sent is accepted only when the data file holds a null there.
    list_structs = [name for name, t in schema.items() if t.startswith("list<struct<") and not name.startswith("_kafka_")]
    at_rest = nulls_at_rest(table, list_structs) if list_structs else {}
    null_lists_read_as_empty = 0
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
        i, _ = acks[where]
        if a.mode == "avro":
            want = data.expected_row(i, 1 if i < a.v2_from else 2)
        elif a.mode == "protobuf":
            want = data.expected_reading(i)
        else:
            want = data.expected_event(i)
        got = {k: plain(v, schema[k]) for k, v in row.items() if not k.startswith("_kafka_")}
        for c in list_structs:
            if got.get(c) == [] and want.get(c) is None and c in at_rest.get(where, ()):
                got[c] = None
                null_lists_read_as_empty += 1
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
                "null_lists_read_as_empty": null_lists_read_as_empty,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
