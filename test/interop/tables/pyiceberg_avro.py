"""Reads lakegate's Avro table with pyiceberg through lakegate's Iceberg REST catalog.

  python pyiceberg_avro.py --uri http://127.0.0.1:<port> --table kafka.<t>

Prints one line "RESULT {json}": the current schema as pyiceberg sees it (field -> type
string), every row with values in a canonical JSON form (decimal and uuid as strings,
timestamps as ISO-8601, bytes as hex, maps as sorted [key, value] pairs), and for each
filter the ids a filtered scan returns and how many files it planned (bounds prune files).
Any failure is a traceback and a non-zero exit.
"""

import argparse
import datetime
import decimal
import json
import uuid

from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.expressions import EqualTo, GreaterThanOrEqual, LessThan


def canon(v):
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        if v and all(isinstance(e, tuple) and len(e) == 2 for e in v):
            return sorted([k, canon(x)] for k, x in v)
        return [canon(e) for e in v]
    if isinstance(v, (decimal.Decimal, uuid.UUID)):
        return str(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, bytes):
        return v.hex()
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--table", required=True)
    a = ap.parse_args()
    table = RestCatalog("lakegate", uri=a.uri).load_table(a.table)
    schema = {f.name: str(f.field_type) for f in table.schema().fields}
    rows = []
    for row in table.scan().to_arrow().to_pylist():
        rows.append({k: canon(v) for k, v in row.items() if not k.startswith("_kafka_")})
    filters = {
        "amount == 2.60": EqualTo("amount", decimal.Decimal("2.60")),
        "amount >= 2.61": GreaterThanOrEqual("amount", decimal.Decimal("2.61")),
        "ref == ...02": EqualTo("ref", uuid.UUID("123e4567-e89b-42d3-a456-426614174002")),
        "created_ms >= +3 ms": GreaterThanOrEqual("created_ms", "2023-11-14T22:13:20.003000+00:00"),
        "tod < +2 ms": LessThan("tod", "01:00:00.002"),
        "local_ts >= +3 us": GreaterThanOrEqual("local_ts", "2023-11-14T22:13:20.000126"),
        "customer.name == c1": EqualTo("customer.name", "c1"),
        "score >= 3": GreaterThanOrEqual("score", 3.0),
    }
    filtered = {}
    for name, f in filters.items():
        ids = table.scan(row_filter=f, selected_fields=("id",)).to_arrow().column("id").to_pylist()
        filtered[name] = {"ids": sorted(ids), "files": len(list(table.scan(row_filter=f).plan_files()))}
    print("RESULT " + json.dumps({"schema": schema, "rows": rows, "filtered": filtered}))


if __name__ == "__main__":
    main()
