"""Canonical row form shared by the table-reader scripts (pyiceberg_scan.py, spark_query.py).

One JSON object per table row, so the node test compares what every reader saw with what
kafkajs sent, byte for byte:

  {"p": partition, "o": offset, "ts": timestamp (epoch microseconds),
   "k": key bytes (base64) | null, "v": value bytes (base64; a string column as UTF-8) | null,
   "h": [[header key, header value bytes (base64) | null], ...] | null,
   "x": {typed column: JSON value, ...}}

Rows are written sorted by (partition, offset).
"""

import base64
import json

SYSTEM = ("_kafka_partition", "_kafka_offset", "_kafka_timestamp", "_kafka_key", "_kafka_headers", "value")


def b64(v):
    if v is None:
        return None
    if isinstance(v, str):
        v = v.encode("utf-8")
    return base64.b64encode(bytes(v)).decode("ascii")


def header_pair(h):
    # pyarrow gives dicts, Spark gives Rows (both support item access by name)
    return [h["key"], b64(h["value"])]


def canonical(p, o, ts, k, v, headers, extra):
    return {
        "p": p,
        "o": o,
        "ts": ts,
        "k": b64(k),
        "v": b64(v),
        "h": None if headers is None else [header_pair(h) for h in headers],
        "x": extra,
    }


def write_rows(path, rows):
    rows.sort(key=lambda r: (r["p"], r["o"]))
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":"), allow_nan=False))
            f.write("\n")


def offsets_summary(pairs):
    """pairs: iterable of (partition, offset) -> row count, unique pairs, per-partition stats."""
    per = {}
    seen = set()
    n = 0
    for p, o in pairs:
        n += 1
        seen.add((p, o))
        s = per.setdefault(p, {"rows": 0, "min": o, "max": o})
        s["rows"] += 1
        s["min"] = min(s["min"], o)
        s["max"] = max(s["max"], o)
    for p, s in per.items():
        s["unique"] = len({o for (q, o) in seen if q == p})
    return {
        "rows": n,
        "uniquePairs": len(seen),
        "partitions": {str(p): per[p] for p in sorted(per)},
    }
