#!/usr/bin/env bash
# Installs what karapace.test.ts runs (idempotently; everything under test/interop/.cache/, or
# $INTEROP_CACHE):
#
#   .cache/kafka/<KAFKA_BROKER>/libs       Apache Kafka broker jars, fetched with Maven through
#                                          bench/kafka/pom.xml (the benchmark's broker)
#   .cache/karapace/venv                   Python venv with Karapace's pinned dependencies
#                                          (test/interop/karapace/requirements.txt)
#   .cache/karapace/<KARAPACE>/karapace/   Karapace's own package, run from there (PYTHONPATH)
#
# Versions are pinned in test/interop/versions.env (KAFKA_BROKER, KARAPACE). Karapace is not
# published on the Python package index; its source is taken from $INTEROP_KARAPACE_SRC when
# set (a directory holding karapace/, a git repository with the tag, or a .tar.gz of the
# source), else downloaded once from the tag's source archive on GitHub into the cache.
#
# Exit status: 0 installed; 3 the Karapace source could not be obtained (run.sh decides
# whether that fails the run); anything else: an install failed (log tail on stderr).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${INTEROP_CACHE:-$HERE/.cache}
DIR="$CACHE/karapace"
mkdir -p "$DIR" "$CACHE/logs/karapace"
# shellcheck source=versions.env
. "$HERE/versions.env"
: "${KAFKA_BROKER:?} ${KARAPACE:?}"

LOG_PREFIX=karapace
LOG_DIR=$CACHE/logs/karapace
# shellcheck source=lib.sh
. "$HERE/lib.sh"

exec 7>"$DIR/.lock"
if command -v flock >/dev/null; then flock -w 3600 7 || die "another install holds $DIR/.lock"; fi
T0=$SECONDS

# --------------------------------------------------------------------------- Karapace source (first: without it nothing else is needed)
SRC="$DIR/$KARAPACE"
if [ -f "$SRC/karapace/karapace_all.py" ] && [ -f "$SRC/.complete" ]; then
  log "Karapace $KARAPACE source: present"
else
  rm -rf "$SRC" "$SRC.tmp"
  mkdir -p "$SRC.tmp"
  from=${INTEROP_KARAPACE_SRC:-}
  if [ -z "$from" ]; then
    tgz="$DIR/karapace-$KARAPACE.tar.gz"
    if [ ! -s "$tgz" ]; then
      url="https://github.com/Aiven-Open/karapace/archive/refs/tags/$KARAPACE.tar.gz"
      log "downloading $url"
      if ! curl -fsSL --retry 2 --connect-timeout 20 --max-time 600 -o "$tgz.part" "$url" 2>"$LOG_DIR/download.log"; then
        rm -f "$tgz.part"
        log "cannot download the Karapace $KARAPACE source: $(tail -n 1 "$LOG_DIR/download.log")"
        log "set INTEROP_KARAPACE_SRC to a Karapace source directory, git repository or .tar.gz"
        exit 3
      fi
      mv "$tgz.part" "$tgz"
    fi
    from=$tgz
  fi
  if [ -d "$from/karapace" ]; then
    cp -R "$from/karapace" "$SRC.tmp/"
  elif git -C "$from" rev-parse --verify -q "refs/tags/$KARAPACE" >/dev/null 2>&1; then
    git -C "$from" archive "refs/tags/$KARAPACE" karapace 2>"$LOG_DIR/git-archive.log" | tar -x -C "$SRC.tmp"
  elif [ -f "$from" ]; then
    tar -xzf "$from" -C "$SRC.tmp" --strip-components=1 "karapace-$KARAPACE/karapace"
  else
    log "INTEROP_KARAPACE_SRC=$from is neither a directory with karapace/, a git repository with tag $KARAPACE, nor a .tar.gz"
    exit 3
  fi
  [ -f "$SRC.tmp/karapace/karapace_all.py" ] || die "no karapace/karapace_all.py in the Karapace source from $from"
  # What setup.py would write at install time (it asks git, which a source archive lacks).
  printf '"""karapace - version"""\n__version__ = "%s"\n' "$KARAPACE" >"$SRC.tmp/karapace/version.py"
  date -u +%FT%TZ >"$SRC.tmp/.complete"
  mv "$SRC.tmp" "$SRC"
fi

# --------------------------------------------------------------------------- Kafka broker
KAFKA_LIBS="$CACHE/kafka/$KAFKA_BROKER/libs"
if [ -f "$KAFKA_LIBS/.complete" ] && [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_BROKER.jar" ]; then
  log "Apache Kafka $KAFKA_BROKER broker: up to date"
else
  command -v mvn >/dev/null || apt_install maven
  rm -rf "$KAFKA_LIBS"
  mkdir -p "$KAFKA_LIBS"
  step "maven-kafka-broker-$KAFKA_BROKER" 1200 mvn -B -Dstyle.color=never -f "$ROOT/bench/kafka/pom.xml" \
    -Dmaven.repo.local="$CACHE/m2" -Dkafka.version="$KAFKA_BROKER" -Dlibs.dir="$KAFKA_LIBS" dependency:copy-dependencies
  [ -f "$KAFKA_LIBS/kafka_2.13-$KAFKA_BROKER.jar" ] || die "maven did not produce $KAFKA_LIBS/kafka_2.13-$KAFKA_BROKER.jar"
  date -u +%FT%TZ >"$KAFKA_LIBS/.complete"
fi

# --------------------------------------------------------------------------- Python venv
VENV="$DIR/venv"
REQS="$HERE/karapace/requirements.txt"
# Installed = every pin at its version and Karapace importable from its source.
venv_ok() {
  PYTHONPATH="$SRC" "$VENV/bin/python" - "$REQS" <<'EOF' >/dev/null 2>&1
import re, sys, importlib.metadata as m
pins = [l.split("#")[0].strip() for l in open(sys.argv[1])]
bad = [p for p in pins if p and m.version(re.split("==", p)[0]) != p.split("==")[1]]
import karapace.karapace_all  # noqa: F401
sys.exit(1 if bad else 0)
EOF
}
if venv_ok; then
  log "Karapace $KARAPACE venv: up to date"
else
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" >"$LOG_DIR/venv.log" 2>&1 || {
      rm -rf "$VENV"
      apt_install python3-venv
      step python-venv 300 python3 -m venv "$VENV"
    }
  fi
  step pip-karapace-deps 900 env PIP_CACHE_DIR="$CACHE/pip" "$VENV/bin/python" -m pip install --disable-pip-version-check -r "$REQS"
  venv_ok || die "Karapace $KARAPACE is not importable from $SRC with $VENV (or a pin in $REQS is not installed)"
fi
log "Karapace $KARAPACE and Kafka $KAFKA_BROKER: ready in $((SECONDS - T0)) s"
