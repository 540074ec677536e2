#!/usr/bin/env bash
# Installs the independent Iceberg table readers the tables-*.test.ts interop tests run
# (idempotently; every download is cached under test/interop/.cache/, or $INTEROP_CACHE):
#
#   .cache/tables/venv             Python venv: pyiceberg[pyarrow] and pyspark (3.5.x)
#   .cache/tables/jars/            iceberg-spark-runtime-3.5_2.12-<v>.jar, fetched with Maven
#                                  (pyspark loads it through spark.jars: nothing is resolved at
#                                  run time)
#   .cache/tables/.stamp           what is installed (versions + this script's inputs)
#
# Versions are pinned in test/interop/tables/versions.env. Needs python3 (3.9+) with venv,
# a JDK/JRE 17 (Spark 3.5 runs on 8/11/17) and Maven; installs the missing ones with apt-get
# when it can. Anything that cannot be installed fails the script (exit 1, log tail on stderr):
# the tests never skip.
#
#   bash test/interop/install-table-readers.sh          install what is missing
#   bash test/interop/install-table-readers.sh --force  reinstall (keeps the download caches)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${INTEROP_CACHE:-$HERE/.cache}
DIR="$CACHE/tables"
LOGS="$CACHE/logs"
mkdir -p "$DIR" "$LOGS"
# shellcheck source=tables/versions.env
. "$HERE/tables/versions.env"
: "${PYICEBERG:?} ${PYSPARK:?} ${ICEBERG_SPARK_RUNTIME:?}"

LOG_PREFIX=table-readers
LOG_DIR=$LOGS/tables
mkdir -p "$LOG_DIR"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

FORCE=0
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $a" ;;
  esac
done

# One install at a time per cache (its own lock: run.sh holds .cache/.lock while it calls us).
exec 8>"$DIR/.lock"
if command -v flock >/dev/null; then flock -w 3600 8 || die "another install holds $DIR/.lock"; fi

T0=$SECONDS
VENV="$DIR/venv"
PY="$VENV/bin/python"
JAR_NAME="iceberg-spark-runtime-3.5_2.12-$ICEBERG_SPARK_RUNTIME.jar"
JAR="$DIR/jars/$JAR_NAME"
WANT="pyiceberg=$PYICEBERG pyspark=$PYSPARK iceberg-spark-runtime=$ICEBERG_SPARK_RUNTIME"

# --------------------------------------------------------------------------- Java + Maven
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*/\1/p' | head -1; }
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  apt_install openjdk-17-jdk-headless maven
fi
command -v java >/dev/null || die "java not found after installing a JDK"
command -v mvn >/dev/null || die "mvn not found after installing maven"
JMAJ=$(java_major)
case $JMAJ in
  8 | 11 | 17) ;;
  *) die "Spark 3.5 runs on Java 8, 11 or 17; \`java\` is Java ${JMAJ:-?} ($(java -version 2>&1 | head -1)). Put a Java 17 first on PATH (or set JAVA_HOME)" ;;
esac

# A complete jar: its central directory (the end of the file, so a download cut short fails
# this) lists Iceberg's SparkCatalog.
jar_ok() {
  [ -f "$JAR" ] && python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).getinfo("org/apache/iceberg/spark/SparkCatalog.class")' "$JAR" 2>/dev/null
}
# Verified, not trusted: a stamp alone never counts as installed.
installed_ok() {
  jar_ok || return 1
  "$PY" - "$PYICEBERG" "$PYSPARK" <<'EOF' >/dev/null 2>&1
import sys, importlib.metadata as m
import pyiceberg, pyarrow, pyspark  # noqa: F401  (importable, not just listed)
from pyiceberg.catalog.rest import RestCatalog  # noqa: F401
sys.exit(0 if (m.version("pyiceberg"), m.version("pyspark")) == (sys.argv[1], sys.argv[2]) else 1)
EOF
}

if [ "$FORCE" -eq 0 ] && [ -f "$DIR/.stamp" ] && [ "$(cat "$DIR/.stamp")" = "$WANT" ] && installed_ok; then
  log "$WANT: up to date ($((SECONDS - T0)) s)"
  exit 0
fi
rm -f "$DIR/.stamp"
[ "$FORCE" -eq 1 ] && rm -rf "$VENV" "$DIR/jars"

# --------------------------------------------------------------------------- Python venv
command -v python3 >/dev/null || apt_install python3 python3-venv
python3 -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' ||
  die "pyiceberg $PYICEBERG needs Python 3.9+, python3 is $(python3 --version 2>&1)"
if ! "$PY" -c 'import sys' 2>/dev/null; then
  rm -rf "$VENV"
  if ! python3 -m venv "$VENV" >"$LOG_DIR/venv.log" 2>&1; then
    rm -rf "$VENV"
    apt_install python3-venv
    step venv 300 python3 -m venv "$VENV"
  fi
fi
# pyspark is published as an sdist only: pip builds its wheel once and keeps it in the cache.
step pip-install 1800 env PIP_CACHE_DIR="$CACHE/pip" "$PY" -m pip install \
  --disable-pip-version-check --no-input \
  "pyiceberg[pyarrow]==$PYICEBERG" "pyspark==$PYSPARK"

# --------------------------------------------------------------------------- Iceberg Spark runtime
if ! jar_ok; then
  rm -rf "$DIR/jars"
  mkdir -p "$DIR/jars"
  step maven-iceberg-spark-runtime 1200 mvn -B -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact="org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:$ICEBERG_SPARK_RUNTIME:jar" \
    -DoutputDirectory="$DIR/jars"
fi
[ -f "$JAR" ] || die "maven did not produce $JAR"

installed_ok || die "installed, but the check failed: $PY cannot import pyiceberg/pyarrow/pyspark at $WANT, or $JAR is not a valid jar"
echo "$WANT" >"$DIR/.stamp"
log "$WANT: installed in $((SECONDS - T0)) s"
