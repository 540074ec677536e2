#!/usr/bin/env bash
# lakegate interop suite: installs the other-language Kafka clients (idempotently, caching
# every download under test/interop/.cache/), then runs the node:test files compiled from
# test/interop/*.test.ts against real lakegate processes.
#
#   npm run test:interop                 build, install what is missing, run every test but karapace
#   bash test/interop/run.sh [NAME...]   run only dist/test/interop/NAME.test.js (java, python, kcat, franz,
#                                        serializers, tables-iceberg, tables-avro, karapace)
#   bash test/interop/run.sh --install-only
#   bash test/interop/run.sh --check-versions   (asks Maven for newer 3.9.x / 4.x kafka-clients)
#
# Needs: node + node_modules (npm ci) and a build (npm run build; npm run test:interop does it).
# Installs when missing: JDK + Maven, python3-venv, kcat, Go (apt-get; root or sudo), then
# kafka-clients (Maven), confluent-kafka with its schema-registry serializers (pip) and franz-go (Go modules) with their default
# client configuration. Anything that cannot be installed fails the run: nothing is skipped.
# karapace.test.ts runs only when named: Karapace is not on the package index, so its source
# comes from INTEROP_KARAPACE_SRC or GitHub's release archive (install-karapace.sh), which a
# machine without GitHub access cannot reach; named, it installs Karapace and a Kafka broker
# or fails.
#
# Environment: INTEROP_CACHE (cache dir), INTEROP_RECORDS (records per run, default 10000),
# INTEROP_DIST (build dir to test, default dist; e.g. a private `npx tsc -p . --outDir
# test/interop/.cache/dist` when others rebuild dist/ in the same checkout meanwhile),
# INTEROP_KEEP=1 (keep work dirs), INTEROP_JAVA_LOG=info|debug (Java client log level),
# INTEROP_RDKAFKA_DEBUG=protocol,msg (librdkafka debug contexts for the Python producer).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${INTEROP_CACHE:-$HERE/.cache}
export INTEROP_CACHE=$CACHE
mkdir -p "$CACHE/logs"
# shellcheck source=versions.env
. "$HERE/versions.env"

LOG_PREFIX=interop
LOG_DIR=$CACHE/logs
# shellcheck source=lib.sh
. "$HERE/lib.sh"

# fingerprint FILE... : a hash of the inputs of a build, stored next to its output.
fingerprint() { cat "$@" | sha256sum | cut -d' ' -f1; }

INSTALL_ONLY=0
CHECK_VERSIONS=0
TESTS=()
for a in "$@"; do
  case $a in
    --install-only) INSTALL_ONLY=1 ;;
    --check-versions) CHECK_VERSIONS=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) TESTS+=("$a") ;;
  esac
done

# One run at a time per cache (installs write into it).
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null; then flock -w 3600 9 || die "another run holds $CACHE/.lock"; fi

INSTALL_T0=$SECONDS

# --------------------------------------------------------------------------- node side
command -v node >/dev/null || die "node is not installed"
[ -d "$ROOT/node_modules/kafkajs" ] || die "node_modules/kafkajs is missing: run npm ci first"

# --------------------------------------------------------------------------- Java
java_major() { java -version 2>&1 | sed -n 's/.*version "\([0-9]*\)\(\.[0-9]*\)*.*/\1/p' | head -1; }
if ! command -v javac >/dev/null || ! command -v mvn >/dev/null || [ "$(java_major)" -lt 11 ] 2>/dev/null; then
  apt_install openjdk-17-jdk-headless maven
fi
command -v javac >/dev/null || die "javac not found after installing a JDK"
command -v mvn >/dev/null || die "mvn not found after installing maven"
[ "$(java_major)" -ge 11 ] || die "Java 11+ is needed for kafka-clients 4.x, found: $(java -version 2>&1 | head -1)"

if [ "$CHECK_VERSIONS" -eq 1 ]; then
  # Newest patch of 3.9 (no minor/major updates) and newest 4.x (no major update).
  for spec in "$KAFKA_CLIENTS_3 -DallowMinorUpdates=false" "$KAFKA_CLIENTS_4"; do
    set -- $spec
    mvn -B -Dstyle.color=never -f "$HERE/java/pom.xml" -Dmaven.repo.local="$CACHE/m2" -Dkafka.version="$1" \
      -DallowMajorUpdates=false "${@:2}" \
      org.codehaus.mojo:versions-maven-plugin:2.18.0:display-dependency-updates >"$CACHE/logs/check-versions.log" 2>&1 ||
      die "mvn versions check failed (log: $CACHE/logs/check-versions.log)"
    grep -E 'kafka-clients .*->' "$CACHE/logs/check-versions.log" || log "kafka-clients $1: no newer version in its line"
  done
  exit 0
fi

JAVA_INPUTS=("$HERE/java/pom.xml" $(find "$HERE/java/src" -name '*.java' | sort))
for v in "$KAFKA_CLIENTS_3" "$KAFKA_CLIENTS_4"; do
  out="$CACHE/java/$v"
  want="$(fingerprint "${JAVA_INPUTS[@]}")-$v"
  if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$want" ] &&
    [ -f "$out/lakegate-interop-java-0.0.0.jar" ] && [ -f "$out/lib/kafka-clients-$v.jar" ]; then
    log "java client programs for kafka-clients $v: up to date"
    continue
  fi
  rm -rf "$out"
  step "maven-kafka-clients-$v" 1200 mvn -B -Dstyle.color=never -f "$HERE/java/pom.xml" \
    -Dmaven.repo.local="$CACHE/m2" -Dkafka.version="$v" -Dbuild.dir="$out" \
    package dependency:copy-dependencies
  [ -f "$out/lib/kafka-clients-$v.jar" ] || die "maven did not produce $out/lib/kafka-clients-$v.jar"
  echo "$want" >"$out/.stamp"
done

# --------------------------------------------------------------------------- Python
VENV="$CACHE/venv"
# Installed = importable at the pinned versions: confluent-kafka, its schema-registry
# serializers (serializers.test.ts) and every pinned dependency of theirs.
py_ok() {
  "$VENV/bin/python" - "confluent-kafka==$CONFLUENT_KAFKA" $CONFLUENT_KAFKA_SR_DEPS <<'EOF' 2>/dev/null
import sys, importlib.metadata as m
import confluent_kafka  # noqa: F401
import confluent_kafka.schema_registry.avro, confluent_kafka.schema_registry.protobuf, confluent_kafka.schema_registry.json_schema  # noqa: F401,E401
sys.exit(0 if all(m.version(n) == v for n, v in (p.split("==") for p in sys.argv[1:])) else 1)
EOF
}
if py_ok; then
  log "confluent-kafka $CONFLUENT_KAFKA with its schema-registry serializers: up to date"
else
  command -v python3 >/dev/null || apt_install python3 python3-venv
  if ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    rm -rf "$VENV"
    if ! python3 -m venv "$VENV" >"$CACHE/logs/venv.log" 2>&1; then
      rm -rf "$VENV"
      apt_install python3-venv
      step python-venv 300 python3 -m venv "$VENV"
    fi
  fi
  step pip-confluent-kafka 900 env PIP_CACHE_DIR="$CACHE/pip" "$VENV/bin/python" -m pip install \
    --disable-pip-version-check --only-binary=confluent-kafka "confluent-kafka==$CONFLUENT_KAFKA" $CONFLUENT_KAFKA_SR_DEPS
  py_ok || die "confluent-kafka $CONFLUENT_KAFKA or its serializers ($CONFLUENT_KAFKA_SR_DEPS) are not importable from $VENV"
fi

# --------------------------------------------------------------------------- kcat
if ! command -v kcat >/dev/null; then
  apt_install kcat
fi
command -v kcat >/dev/null || die "kcat not found after apt-get install kcat"
log "kcat: $(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*librdkafka \([^ ]*\).*/\1 (librdkafka \2)/p')"

# --------------------------------------------------------------------------- Go / franz-go
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOPATH="$CACHE/go/path"
export GOFLAGS="-modcacherw -mod=mod -buildvcs=false" CGO_ENABLED=0
GO_NEED=$(awk '/^go /{print $2; exit}' "$HERE/go/go.mod")
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }
go_version_of() { GOTOOLCHAIN=local "$1" version | sed -n 's/.* go\([0-9][0-9.]*\).*/\1/p'; }
GO=$(command -v go || true)
if [ -z "$GO" ]; then
  apt_install golang-go
  GO=$(command -v go || true)
  [ -n "$GO" ] || die "go not found after apt-get install golang-go"
fi
if ! version_ge "$(go_version_of "$GO")" "$GO_NEED"; then
  # The local go is older than go.mod needs: fetch that toolchain as a Go module
  # (golang.org/toolchain, the same thing GOTOOLCHAIN=auto downloads) into the cache.
  case $(uname -m) in x86_64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  tc="golang.org/toolchain@v0.0.1-go$GO_NEED.linux-$arch"
  tcdir="$GOMODCACHE/golang.org/toolchain@v0.0.1-go$GO_NEED.linux-$arch"
  if [ ! -x "$tcdir/bin/go" ]; then
    log "local go $(go_version_of "$GO") < $GO_NEED: downloading $tc"
    (cd "$CACHE" && step go-toolchain 900 env GOTOOLCHAIN=local GOFLAGS=-modcacherw "$GO" mod download "$tc")
    chmod -R u+x "$tcdir/bin" "$tcdir/pkg/tool" 2>/dev/null || true
  fi
  GO="$tcdir/bin/go"
  [ -x "$GO" ] || die "no usable Go $GO_NEED toolchain at $GO"
fi
export GOTOOLCHAIN=local
GO_VERSION=$(go_version_of "$GO")
FRANZ="$CACHE/bin/franz-producer"
want="$(fingerprint "$HERE/go/go.mod" "$HERE/go/go.sum" "$HERE/go/main.go")-go$GO_VERSION"
if [ -x "$FRANZ" ] && [ -f "$FRANZ.stamp" ] && [ "$(cat "$FRANZ.stamp")" = "$want" ]; then
  log "franz-go producer: up to date (go $GO_VERSION)"
else
  mkdir -p "$CACHE/bin"
  (cd "$HERE/go" && step go-build-franz 1200 "$GO" build -o "$FRANZ" .)
  echo "$want" >"$FRANZ.stamp"
fi

bash "$HERE/install-table-readers.sh" || die "table readers: pyiceberg, pyspark, iceberg-spark-runtime (install-table-readers.sh)"

# Karapace + a Kafka broker, for karapace.test.ts (only when named; see the header).
if [[ " ${TESTS[*]} " == *" karapace "* ]]; then
  bash "$HERE/install-karapace.sh" || die "Karapace or its Kafka broker (install-karapace.sh)"
fi
log "install phase: $((SECONDS - INSTALL_T0)) s"
[ "$INSTALL_ONLY" -eq 1 ] && exit 0

# --------------------------------------------------------------------------- tests
DIST=${INTEROP_DIST:-dist}
cd "$ROOT"
[ -f "$DIST/src/cli.js" ] || die "$DIST/src/cli.js is missing: run npm run build (npm run test:interop does)"
[ -d "$DIST/test/interop" ] || die "$DIST/test/interop is missing: run npm run build"
exec 9>&- # release the lock: tests only read the cache
if [ ${#TESTS[@]} -eq 0 ]; then
  mapfile -t TESTS < <(find "$DIST/test/interop" -maxdepth 1 -name '*.test.js' ! -name karapace.test.js | sort)
else
  for i in "${!TESTS[@]}"; do
    f="$DIST/test/interop/${TESTS[$i]}.test.js"
    [ -f "$f" ] || die "no such test file: $f"
    TESTS[$i]=$f
  done
fi
exec node --test --test-concurrency=1 --test-reporter=spec "${TESTS[@]}"
