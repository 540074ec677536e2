"""Runs named Spark SQL queries against lakegate tables in one Spark 3.5 session (pyspark,
local mode, Apache Iceberg's Spark runtime, lakegate's Iceberg REST catalog as `lakegate`;
the session is spark_query.py's).

  python spark_sql.py --uri http://127.0.0.1:<port> --jar iceberg-spark-runtime.jar
                      --work-dir DIR [--table T ...] [--query NAME=SQL ...]

(NAME must not contain '=': the argument is split at the first one.)

For every table T (e.g. kafka.orders): {"schema": {field: DataType.simpleString()}} as Spark
loads lakegate.T, or {"error": "..."} when Spark cannot load it. For every query: its rows as
JSON arrays (decimals as strings, timestamps and dates as ISO-8601, bytes as hex, structs as
objects, maps as objects with sorted keys). Prints one line "RESULT {json}"; a query Spark
refuses is a traceback and a non-zero exit.
"""

import argparse
import datetime
import decimal
import json
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the sources
from spark_query import spark_session  # noqa: E402


def canon(v):
    if hasattr(v, "asDict"):  # a struct (Row is a tuple: test it first)
        return {k: canon(x) for k, x in v.asDict().items()}
    if isinstance(v, (list, tuple)):
        return [canon(x) for x in v]
    if isinstance(v, dict):
        return {str(k): canon(x) for k, x in sorted(v.items())}
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, (datetime.datetime, datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    return v


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--table", action="append", default=[])
    ap.add_argument("--query", action="append", default=[])
    a = ap.parse_args()

    t0 = time.monotonic()
    spark = spark_session(a.uri, a.jar, a.work_dir, "lakegate-interop-sql")
    result = {"reader": "spark", "sparkVersion": spark.version, "startupSeconds": round(time.monotonic() - t0, 2), "tables": {}, "queries": {}}
    try:
        for t in a.table:
            try:
                fields = spark.table(f"lakegate.{t}").schema.fields
                result["tables"][t] = {"schema": {f.name: f.dataType.simpleString() for f in fields}}
            except Exception as e:  # noqa: BLE001  (reported: the test decides)
                result["tables"][t] = {"error": f"{type(e).__name__}: " + "\n".join(str(e).strip().splitlines()[:3])}
        for q in a.query:
            name, _, sql = q.partition("=")
            result["queries"][name] = [canon(list(r)) for r in spark.sql(sql).collect()]
    finally:
        spark.stop()
    result["seconds"] = round(time.monotonic() - t0, 2)
    print("RESULT " + json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
