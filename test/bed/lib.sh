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

# imds_holder CMD...: runs CMD holding the group bastion-imds, as the suite's own root
# commands do (packages/config/src/imds-group.ts): with the metadata proxy's host guard
# in place no other host process reaches IMDS, the stand-in included. Before the group
# exists (a fresh machine) there is no guard either, and CMD runs as it is.
imds_holder() {
  local gid; gid="$(getent group bastion-imds | cut -d: -f3 || true)"
  if [ -z "$gid" ]; then "$@"; return; fi
  setpriv --groups="$(id -G | tr ' ' ','),$gid" -- "$@"
}

# as_proxy_user: the words that run a command as the shipped bastion-metadataproxy unit
# runs the proxy (its own system user, the docker group, CAP_NET_ADMIN alone, no new
# privileges), to put before it: start_daemon NAME LOG $(as_proxy_user) CMD...
as_proxy_user() {
  echo "setpriv --reuid=bastion-metadataproxy --regid=bastion-metadataproxy --groups=$(getent group docker | cut -d: -f3)" \
    "--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin --no-new-privs --"
}

# proxy_can_read DIR: the proxy's user may traverse every directory above DIR that
# others may not (root's home is 0700 on these machines, and a checkout often lives
# there), by an ACL entry for that user alone; DIR's own files are world-readable.
proxy_can_read() {
  apt_install acl
  local d; d="$(dirname "$1")"
  while [ "$d" != / ]; do
    if [ "$(( $(stat -c '%a' "$d" | sed 's/.*\(.\)$/\1/') & 1 ))" -eq 0 ]; then setfacl -m u:bastion-metadataproxy:x "$d"; fi
    d="$(dirname "$d")"
  done
}

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

# A pid file counts only when it names the process the bed started: pids are reused,
# and /run can outlive its processes (a restore). start_daemon records, next to
# NAME.pid, the process's start time and the boot it started in (NAME.pid.start:
# "PID STARTTICKS BOOTID"). A pid file without that record (the older lib.sh, or a
# pid file a daemon or a test fixture wrote itself) counts when its process started
# no later than the file was written and writes its output to a log file, as every
# daemon start_daemon runs does.

# _proc_start PID: the process's start, in clock ticks after boot (field 22 of
# /proc/PID/stat; the command name before it may hold spaces, so read after its ')').
_proc_start() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  # shellcheck disable=SC2086 # split on purpose
  set -- $stat
  [ -n "${20:-}" ] || return 1
  echo "${20}"
}

_boot_id() { cat /proc/sys/kernel/random/boot_id; }

# daemon_pid NAME: prints the pid in $BASTION_RUN/NAME.pid when it names the process
# the bed started; fails otherwise (no file, a dead process, or someone else's).
daemon_pid() {
  local pidfile="$BASTION_RUN/$1.pid" pid start
  [ -f "$pidfile" ] || return 1
  pid="$(head -n1 "$pidfile" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" -gt 1 ] || return 1
  start="$(_proc_start "$pid")" || return 1
  if [ -f "$pidfile.start" ]; then
    local rpid rstart rboot
    read -r rpid rstart rboot < "$pidfile.start" || true
    if [ "${rpid:-}" = "$pid" ]; then
      [ "${rstart:-}" = "$start" ] && [ "${rboot:-}" = "$(_boot_id)" ] || return 1
      echo "$pid"; return 0
    fi
  fi
  local btime hz written out
  btime="$(awk '/^btime/ {print $2}' /proc/stat)"
  hz="$(getconf CLK_TCK)"
  written="$(stat -c %Y "$pidfile")"
  [ $((btime + start / hz)) -le $((written + 2)) ] || return 1
  out="$(readlink "/proc/$pid/fd/1" 2>/dev/null)" || return 1
  [[ "$out" == /*.log || "$out" == /*.log\ \(deleted\) ]] || return 1
  echo "$pid"
}

# start_daemon NAME LOGFILE COMMAND...: starts COMMAND in the background unless
# $BASTION_RUN/NAME.pid names the process the bed started for it, alive.
start_daemon() {
  local name="$1" logfile="$2"; shift 2
  local pidfile="$BASTION_RUN/$name.pid" pid
  if pid="$(daemon_pid "$name")"; then
    # An older pid file that checks out gets its record, so later checks are exact.
    [ -f "$pidfile.start" ] || echo "$pid $(_proc_start "$pid") $(_boot_id)" > "$pidfile.start"
    return 0
  fi
  [ -f "$pidfile" ] && log "$name: $pidfile names no process the bed started (stale); starting it afresh"
  log "starting $name"
  setsid "$@" >>"$logfile" 2>&1 < /dev/null &
  pid=$!
  echo "$pid" > "$pidfile"
  echo "$pid $(_proc_start "$pid" || true) $(_boot_id)" > "$pidfile.start"
}

# stop_if_changed NAME PATH...: stops NAME when the PATHs themselves or a file under them
# (files, or directories searched for *.js and *.yaml) changed since the last call, so
# that the start_daemon after it starts the new code from this tree: a daemon that
# outlives an upgrade runs the old code (an old metadata proxy would take out of its
# chains the rules the new setup adds), and one started from another checkout runs
# that checkout's, which may be gone.
stop_if_changed() {
  local name="$1" sum; shift
  sum="$( { printf '%s\n' "$@"; find "$@" -type f \( -name '*.js' -o -name '*.yaml' \) -print0 2>/dev/null | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)"
  if [ "$(cat "$BASTION_RUN/$name.code-sha" 2>/dev/null)" != "$sum" ]; then
    stop_daemon "$name"
    echo "$sum" > "$BASTION_RUN/$name.code-sha"
  fi
}

# stop_daemon NAME: stops a daemon started by start_daemon, if it runs. It never
# signals a process the bed did not start, whatever the pid file says.
stop_daemon() {
  local pidfile="$BASTION_RUN/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid
  if pid="$(daemon_pid "$1")"; then
    log "stopping $1"
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 -- "-$pid" 2>/dev/null || true
  elif [ -n "$(head -n1 "$pidfile" 2>/dev/null)" ] && kill -0 "$(head -n1 "$pidfile")" 2>/dev/null; then
    log "$1: $pidfile names a process the bed did not start; not signalling it"
  fi
  rm -f "$pidfile" "$pidfile.start"
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
