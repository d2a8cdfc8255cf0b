# Shared helpers for the test bed scripts. Sourced, never run.
# Every function here is idempotent: it checks before it changes anything.

set -euo pipefail

BASTION_ROOT="${BASTION_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# Where downloaded and built artefacts are cached between runs.
BASTION_CACHE="${BASTION_CACHE:-/var/cache/bastion-testbed}"
# Runtime state: pid files, logs and the env file that tests read.
BASTION_RUN="${BASTION_RUN:-/run/bastion-testbed}"
NODE_HOME="${NODE_HOME:-/opt/bastion/node}"
NODE_MAJOR=24
DOCKER=/usr/bin/docker

mkdir -p "$BASTION_CACHE" "$BASTION_RUN"

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] error: %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

# apt_install PKG...: installs only the packages that are missing.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ ! -f "$BASTION_RUN/apt-updated" ]; then
    apt-get update -qq
    touch "$BASTION_RUN/apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pypi_venv VENV DIST VERSION [REQUIREMENT]: a virtualenv at VENV holding DIST==VERSION
# from PyPI (REQUIREMENT names extras, e.g. "moto[server]"); nothing when it already does.
pypi_venv() {
  local venv="$1" dist="$2" version="$3" req="${4:-$2}" installed
  installed="$("$venv/bin/python" -c 'import importlib.metadata as m, sys; print(m.version(sys.argv[1]))' "$dist" 2>/dev/null || true)"
  [ "$installed" = "$version" ] && return 0
  apt_install python3 python3-venv
  log "installing $req==$version into $venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "$req==$version"
}

# wait_for DESCRIPTION SECONDS COMMAND...: polls COMMAND until it succeeds.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -ge "$deadline" ] && die "timed out after ${secs}s waiting for $what"
    sleep 0.2
  done
}

# start_daemon NAME LOGFILE COMMAND...: starts COMMAND in the background unless
# the pid in $BASTION_RUN/NAME.pid is alive.
start_daemon() {
  local name="$1" logfile="$2"; shift 2
  local pidfile="$BASTION_RUN/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    return 0
  fi
  log "starting $name"
  setsid "$@" >>"$logfile" 2>&1 < /dev/null &
  echo $! > "$pidfile"
}

# stop_daemon NAME: stops a daemon started by start_daemon, if it runs.
stop_daemon() {
  local pidfile="$BASTION_RUN/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1"
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# unix_answers PATH: something accepts connections on the Unix socket PATH (a file left
# by a process that died does not).
unix_answers() {
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1" 2>/dev/null
}

# write_if_changed FILE MODE < CONTENT: replaces FILE only when CONTENT differs.
write_if_changed() {
  local file="$1" mode="$2" tmp
  tmp="$(mktemp "$file.XXXX")"
  cat > "$tmp"
  chmod "$mode" "$tmp"
  if [ -f "$file" ] && cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv "$tmp" "$file"; fi
}

# env_set KEY VALUE: records a fact for the tests in $BASTION_RUN/env.
env_set() {
  local file="$BASTION_RUN/env"
  touch "$file"
  grep -v "^$1=" "$file" > "$file.tmp" || true
  printf '%s=%s\n' "$1" "$2" >> "$file.tmp"
  mv "$file.tmp" "$file"
}

export PATH="$NODE_HOME/bin:$PATH"
