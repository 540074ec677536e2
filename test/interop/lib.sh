# Shared by the interop install scripts: logging, bounded logged steps, root and apt-get.
# The sourcing script sets LOG_PREFIX (e.g. interop) and LOG_DIR (where step logs go).

log() { printf '[%s] %s\n' "$LOG_PREFIX" "$*" >&2; }

die() {
  printf '\n[%s] FAILED: %s\n' "$LOG_PREFIX" "$*" >&2
  exit 1
}

# step NAME TIMEOUT_SECONDS CMD... : runs CMD with its output in $LOG_DIR/NAME.log; on failure
# prints the end of that log and fails the whole run.
step() {
  local name=$1 secs=$2
  shift 2
  local logf="$LOG_DIR/$name.log" t0=$SECONDS
  log "$name ..."
  if ! timeout --kill-after=10 "$secs" "$@" >"$logf" 2>&1; then
    tail -n 60 "$logf" >&2 || true
    die "$name (full log: $logf)"
  fi
  log "$name done in $((SECONDS - t0)) s"
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"
  fi
}

# apt_install PKG... : installs the packages that are not installed yet; runs apt-get update
# first only when a package cannot be found.
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "cannot install ${missing[*]}: no apt-get on this machine"
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install ${missing[*]}"
  if ! as_root apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1; then
    step apt-get-update 600 as_root apt-get update
    step "apt-get-install-${missing[0]}" 1200 as_root apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}
