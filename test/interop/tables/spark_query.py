"""Queries lakegate tables with Spark 3.5 (pyspark, local mode) and Apache Iceberg's Spark
runtime through lakegate's Iceberg REST catalog.

  python spark_query.py --uri http://127.0.0.1:<port> --jar iceberg-spark-runtime.jar
                        --work-dir DIR --table T[:PARTITION[:TS_FROM_MICROS]] ...

For every table T (e.g. kafka.orders), in catalog `lakegate`:
  SELECT count(*) FROM lakegate.T
  SELECT count(*) FROM lakegate.T WHERE _kafka_partition = PARTITION
  SELECT count(*) FROM lakegate.T WHERE _kafka_timestamp >= timestamp_micros(TS_FROM_MICROS)
  SELECT _kafka_partition, count(*), count(DISTINCT _kafka_offset), min/max(_kafka_offset) ... GROUP BY 1
plus the Iceberg metadata tables T.snapshots and T.files (their errors are reported in the
result, not raised), and every row in the canonical form of rows.py into DIR/<T>.spark.jsonl. Prints one JSON
summary line on stdout prefixed with "RESULT ". The runtime jar comes from the local file
(spark.jars): nothing is resolved or downloaded at run time.
"""

import argparse
import json
import os
import sys
import time

from pyspark.sql import SparkSession

import rows as R


def spark_session(uri, jar, work_dir, app_name="lakegate-interop-tables"):
    """A local[2] Spark session with catalog `lakegate` = lakegate's Iceberg REST catalog at
    URI, the Iceberg runtime from the local JAR, UTC session time zone, and its scratch
    directories under WORK_DIR (also used by spark_sql.py)."""
    if not os.path.isfile(jar):
        raise SystemExit(f"iceberg spark runtime jar not found: {jar}")
    # The pyspark package is the Spark installation (not a SPARK_HOME the machine may have).
    import pyspark

    os.environ["SPARK_HOME"] = os.path.dirname(os.path.abspath(pyspark.__file__))
    local_dir = os.path.join(work_dir, "spark-local")
    os.makedirs(local_dir, exist_ok=True)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(app_name)
        .config("spark.jars", jar)
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        .config("spark.sql.catalog.lakegate", "org.apache.iceberg.spark.SparkCatalog")
        .config("spark.sql.catalog.lakegate.type", "rest")
        .config("spark.sql.catalog.lakegate.uri", uri)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.local.dir", local_dir)
        .config("spark.sql.warehouse.dir", os.path.join(work_dir, "spark-warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={os.path.join(work_dir, 'derby')}")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    return spark


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--uri", required=True)
    ap.add_argument("--jar", required=True)
    ap.add_argument("--work-dir", required=True)
    ap.add_argument("--table", action="append", required=True)
    a = ap.parse_args()

    t0 = time.monotonic()
    spark = spark_session(a.uri, a.jar, a.work_dir)
    startup = time.monotonic() - t0

    result = {"reader": "spark", "sparkVersion": spark.version, "startupSeconds": round(startup, 2), "tables": {}}
    try:
        result["namespaces"] = [r[0] for r in spark.sql("SHOW NAMESPACES IN lakegate").collect()]
        for spec in a.table:
            parts = spec.split(":")
            name = parts[0]
            fq = f"lakegate.{name}"
            t1 = time.monotonic()
            r = {"count": spark.sql(f"SELECT count(*) FROM {fq}").collect()[0][0]}
            if len(parts) > 1 and parts[1] != "":
                p = int(parts[1])
                r["partition"] = {
                    "value": p,
                    "rows": spark.sql(f"SELECT count(*) FROM {fq} WHERE _kafka_partition = {p}").collect()[0][0],
                }
            if len(parts) > 2 and parts[2] != "":
                us = int(parts[2])
                r["tsFrom"] = {
                    "value": us,
                    "rows": spark.sql(
                        f"SELECT count(*) FROM {fq} WHERE _kafka_timestamp >= timestamp_micros({us})"
                    ).collect()[0][0],
                }
            groups = spark.sql(
                f"SELECT _kafka_partition, count(*), count(DISTINCT _kafka_offset), min(_kafka_offset), max(_kafka_offset) "
                f"FROM {fq} GROUP BY _kafka_partition ORDER BY _kafka_partition"
            ).collect()
            r["groups"] = {str(g[0]): {"rows": g[1], "unique": g[2], "min": g[3], "max": g[4]} for g in groups}
            # Iceberg metadata tables (<table>.snapshots, <table>.files): reported, not fatal, so
            # the node test can tell this apart from the data checks.
            r["metadataTables"] = {}
            for mt, q in (("snapshots", f"SELECT count(*) FROM {fq}.snapshots"), ("files", f"SELECT count(*), sum(record_count) FROM {fq}.files")):
                try:
                    row = spark.sql(q).collect()[0]
                    r["metadataTables"][mt] = {"rows": row[0], **({"recordCount": row[1]} if len(row) > 1 else {})}
                except Exception as e:  # noqa: BLE001  (the message is the report)
                    r["metadataTables"][mt] = {"query": q, "error": "\n".join(str(e).strip().splitlines()[:3])}

            df = spark.table(fq)
            extra = [c for c in df.columns if c not in R.SYSTEM]
            sel = spark.sql(
                f"SELECT _kafka_partition, _kafka_offset, unix_micros(_kafka_timestamp) AS _ts, _kafka_key, value, "
                f"_kafka_headers{''.join(', `' + c + '`' for c in extra)} FROM {fq}"
            )
            out = []
            for row in sel.toLocalIterator():
                out.append(R.canonical(row[0], row[1], row[2], row[3], row[4], row[5], {c: row[6 + i] for i, c in enumerate(extra)}))
            rows_file = os.path.join(a.work_dir, f"{name}.spark.jsonl")
            R.write_rows(rows_file, out)
            r["rowsFile"] = rows_file
            r["schema"] = [f"{f.name}: {f.dataType.simpleString()}" for f in df.schema.fields]
            r["seconds"] = round(time.monotonic() - t1, 2)
            result["tables"][name] = r
    finally:
        spark.stop()
    result["seconds"] = round(time.monotonic() - t0, 2)
    print("RESULT " + json.dumps(result, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
