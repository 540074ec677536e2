"""Reads one lakegate table with pyiceberg through lakegate's Iceberg REST catalog.

  python pyiceberg_scan.py --uri http://127.0.0.1:<port> --table kafka.<t> --rows OUT.jsonl
                           [--partition N] [--ts-from MICROS]

Loads the table from the catalog, scans all of it to Arrow and writes every row in the
canonical form of rows.py to OUT.jsonl; then scans again with row filters (_kafka_partition = N;
_kafka_timestamp >= MICROS) to count what a filtered read returns. Prints one JSON summary
line on stdout prefixed with "RESULT ". Any failure is a traceback and a non-zero exit.
"""

import argparse
import datetime
import json
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.expressions import EqualTo, GreaterThanOrEqual

import rows as R


def iso_micros(us):
    dt = datetime.datetime.fromtimestamp(us // 1_000_000, tz=datetime.timezone.utc)
    return dt.replace(microsecond=us % 1_000_000).isoformat()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--rows", required=True)
    ap.add_argument("--partition", type=int)
    ap.add_argument("--ts-from", type=int)
    a = ap.parse_args()

    t0 = time.monotonic()
    catalog = RestCatalog("lakegate", uri=a.uri)
    namespaces = [".".join(n) for n in catalog.list_namespaces()]
    ns = a.table.split(".")[0]
    tables = [".".join(i) for i in catalog.list_tables(ns)]
    table = catalog.load_table(a.table)
    meta = table.metadata
    snap = table.current_snapshot()

    scan = table.scan()
    files = list(scan.plan_files())
    arrow = scan.to_arrow()

    # timestamptz -> int64 epoch microseconds (no datetime round trip)
    ts_col = arrow.column("_kafka_timestamp")
    if not pa.types.is_timestamp(ts_col.type) or ts_col.type.unit != "us" or ts_col.type.tz not in ("UTC", "+00:00", "Etc/UTC"):
        raise SystemExit(f"_kafka_timestamp should read as timestamp[us, UTC], got {ts_col.type}")
    ts = pc.cast(ts_col, pa.int64()).to_pylist()

    names = arrow.schema.names
    extra_names = [n for n in names if n not in R.SYSTEM]
    cols = {n: arrow.column(n).to_pylist() for n in names if n != "_kafka_timestamp"}
    out = []
    for i in range(arrow.num_rows):
        out.append(
            R.canonical(
                cols["_kafka_partition"][i],
                cols["_kafka_offset"][i],
                ts[i],
                cols["_kafka_key"][i],
                cols["value"][i],
                cols["_kafka_headers"][i],
                {n: cols[n][i] for n in extra_names},
            )
        )
    summary = R.offsets_summary((r["p"], r["o"]) for r in out)
    R.write_rows(a.rows, out)

    filtered = {}
    if a.partition is not None:
        s = table.scan(row_filter=EqualTo("_kafka_partition", a.partition))
        filtered["partition"] = {
            "value": a.partition,
            "rows": s.to_arrow().num_rows,
            "files": len(list(s.plan_files())),
        }
    if a.ts_from is not None:
        s = table.scan(row_filter=GreaterThanOrEqual("_kafka_timestamp", iso_micros(a.ts_from)))
        filtered["tsFrom"] = {
            "value": a.ts_from,
            "rows": s.to_arrow().num_rows,
            "files": len(list(s.plan_files())),
        }

    result = {
        "reader": "pyiceberg",
        "namespaces": namespaces,
        "tables": tables,
        "formatVersion": meta.format_version,
        "schema": [
            {"id": f.field_id, "name": f.name, "type": str(f.field_type), "required": f.required}
            for f in table.schema().fields
        ],
        "arrowSchema": [f"{f.name}: {f.type}" for f in arrow.schema],
        "partitionSpec": str(table.spec()),
        "snapshotId": None if snap is None else snap.snapshot_id,
        "snapshots": len(meta.snapshots),
        "snapshotSummary": None if snap is None or snap.summary is None else snap.summary.model_dump(mode="json"),
        "dataFiles": len(files),
        "filtered": filtered,
        "seconds": round(time.monotonic() - t0, 2),
        **summary,
    }
    print("RESULT " + json.dumps(result, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
