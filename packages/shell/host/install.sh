#!/usr/bin/env bash
# install.sh: installs bastion-shell's host side, the part that has to live outside
# the repository because sshd, systemd and the containers look for it at fixed paths:
#   /usr/local/bin/bastion-shell                     the login shell (listed in /etc/shells)
#   /usr/local/libexec/bastion/bastion-shell-client  the Go client the login shell runs
#   /usr/local/libexec/bastion/bastion-agent         the Go agent every container runs
#   /usr/local/libexec/bastion/shell-broker          the root-owned wrapper of the broker
#   <dir>/bastion.conf                               the sshd drop-in, with --sshd-dropin <dir>
# The two Go binaries come from packages/shell/dist/native (npm run build). The broker's
# run directory (--run-dir, shell.broker.runDir of the config) is written into the login
# shell, which connects to <run-dir>/broker.sock, and into the wrapper, and the broker
# refuses to start when the config names another. The test bed and `bastion setup` both
# call this script. Idempotent: it writes only what differs, prints one line per change
# and nothing on a run that changes nothing. It also removes what earlier versions
# installed for the sudo path (the sudoers rule and the shell-session wrapper).
# --uninstall removes what it installs.
#
# --instance NAME installs a second, independent copy beside the default one, with its
# own config and run directory: every file above gets the suffix -NAME. A user's login
# shell picks the instance. The test bed uses one ("testbed") so that it can run on the
# same machine as a local bastion (scripts/local up).
set -euo pipefail

SHELLS=/etc/shells
LIBEXEC_DIR=/usr/local/libexec/bastion
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC_DROPIN="$HERE/../sshd/bastion.conf"

say() { printf 'bastion-shell install: %s\n' "$*"; }
die() { printf 'bastion-shell install: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: $0 --root <repo> --node <node binary> --config <bastion.yaml> [--run-dir <dir>] [--sshd-dropin <dir>] [--instance <name>]
       $0 --uninstall [--sshd-dropin <dir>] [--instance <name>]
--run-dir defaults to /run/bastion/shell, shell.broker.runDir's default.
EOF
  exit 2
}

root='' node='' config='' dropin='' uninstall=0 instance='' rundir=/run/bastion/shell
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2-}"; shift 2 || usage ;;
    --node) node="${2-}"; shift 2 || usage ;;
    --config) config="${2-}"; shift 2 || usage ;;
    --run-dir) rundir="${2-}"; shift 2 || usage ;;
    --sshd-dropin) dropin="${2-}"; shift 2 || usage ;;
    --instance) instance="${2-}"; shift 2 || usage ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage ;;
    *) printf 'unknown argument: %s\n' "$1" >&2; usage ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run as root: it writes /usr/local and /etc/shells"

# The instance's name ends up in file names.
[ -z "$instance" ] || [[ "$instance" =~ ^[a-z][a-z0-9]{0,15}$ ]] || die "--instance must be 1-16 lowercase letters and digits, starting with a letter (got '$instance')"
suffix="${instance:+-$instance}"
SHELL_BIN="/usr/local/bin/bastion-shell$suffix"
CLIENT="$LIBEXEC_DIR/bastion-shell-client$suffix"
AGENT="$LIBEXEC_DIR/bastion-agent$suffix"
BROKER="$LIBEXEC_DIR/shell-broker$suffix"
# What the sudo path of earlier versions installed; removed on sight.
LEGACY_RUNNER="$LIBEXEC_DIR/shell-session$suffix"
LEGACY_SUDOERS="/etc/sudoers.d/bastion-shell$suffix"

# The paths end up unquoted in a root-run shell script and in a sed replacement, so
# only plain absolute paths are accepted.
plain_path() {
  [[ "$2" =~ ^/[A-Za-z0-9._/+-]*$ ]] || die "$1 must be an absolute path of letters, digits and ._/+- (got '$2')"
}

# trusted PATH: PATH and every directory above it, as far as they exist, must be owned
# by root and writable by nobody else. Root runs this code on every login, so whoever
# can swap the Node binary, the repository or the config owns the host.
trusted() {
  local p uid mode
  for p in "$1" "$(readlink -m -- "$1")"; do
    while :; do
      # A symlink's own owner and mode do not matter: replacing it takes a write to
      # its directory, which the next round checks; the target is checked as well.
      if [ -e "$p" ] && [ ! -L "$p" ]; then
        read -r uid mode < <(stat -c '%u %a' -- "$p")
        [ "$uid" = 0 ] || die "$p is not owned by root, yet root runs what it holds"
        # A sticky directory such as /tmp is fine: others cannot rename or remove what
        # root owns in it.
        if [ -d "$p" ] && (( (8#$mode & 8#1000) != 0 )); then :
        else (( (8#$mode & 8#022) == 0 )) || die "$p is writable by group or others, yet root runs what it holds"; fi
      fi
      [ "$p" = / ] && break
      p="$(dirname -- "$p")"
    done
  done
}

tmp=''
trap '[ -z "$tmp" ] || rm -f "$tmp"' EXIT

# runs_help FILE: the validator of the Go binaries, which must start and print usage.
runs_help() { "$1" --help >/dev/null 2>&1; }

# put DEST MODE [VALIDATOR...] < CONTENT: installs CONTENT as DEST, root:root MODE, when
# its content, owner or mode differ. The new file is checked by VALIDATOR (given the
# temporary path) and renamed into place, so no reader ever sees half a file.
put() {
  local dest="$1" mode="$2"; shift 2
  tmp="$(mktemp "$(dirname "$dest")/.$(basename "$dest").XXXXXX")"
  cat > "$tmp"
  if [ -f "$dest" ] && [ ! -L "$dest" ] && cmp -s "$tmp" "$dest"; then
    rm -f "$tmp"; tmp=''
    if [ "$(stat -c '%u:%g %a' "$dest")" != "0:0 $mode" ]; then
      chown 0:0 "$dest"; chmod "$mode" "$dest"
      say "set owner root:root and mode $mode on $dest"
    fi
    return 0
  fi
  chown 0:0 "$tmp"; chmod "$mode" "$tmp"
  if [ $# -gt 0 ]; then "$@" "$tmp" >/dev/null || die "$dest did not validate; left unchanged"; fi
  mv -f "$tmp" "$dest"; tmp=''
  say "wrote $dest"
}

ensure_dir() {
  if [ ! -d "$1" ]; then
    install -d -o root -g root -m 0755 "$1"
    say "created $1"
  elif [ "$(stat -c '%u:%g %a' "$1")" != "0:0 755" ]; then
    chown 0:0 "$1"; chmod 0755 "$1"
    say "set owner root:root and mode 755 on $1"
  fi
}

remove() {
  if [ -e "$1" ] || [ -L "$1" ]; then rm -f "$1"; say "removed $1"; fi
}

if [ "$uninstall" -eq 1 ]; then
  if grep -qxF "$SHELL_BIN" "$SHELLS" 2>/dev/null; then
    grep -vxF "$SHELL_BIN" "$SHELLS" | put "$SHELLS" "$(stat -c '%a' "$SHELLS")" >/dev/null
    say "removed $SHELL_BIN from $SHELLS"
  fi
  remove "$SHELL_BIN"
  remove "$CLIENT"
  remove "$AGENT"
  remove "$BROKER"
  remove "$LEGACY_SUDOERS"
  remove "$LEGACY_RUNNER"
  if [ -d "$LIBEXEC_DIR" ] && rmdir "$LIBEXEC_DIR" 2>/dev/null; then say "removed $LIBEXEC_DIR"; fi
  if [ -n "$dropin" ]; then remove "$dropin/bastion.conf"; fi
  exit 0
fi

[ -n "$root" ] && [ -n "$node" ] && [ -n "$config" ] || usage
plain_path --root "$root"; plain_path --node "$node"; plain_path --config "$config"; plain_path --run-dir "$rundir"
# Socket paths under it must fit the 107 bytes of a Unix socket address.
[ "${#rundir}" -le 60 ] && [ "$rundir" != / ] && [ "${rundir%/}" = "$rundir" ] || die "--run-dir must be at most 60 characters with no trailing / (got '$rundir')"
[ -z "$dropin" ] || plain_path --sshd-dropin "$dropin"
root="$(cd "$root" 2>/dev/null && pwd -P)" || die "--root: no such directory"
[ -f "$root/packages/shell/package.json" ] || die "--root $root is not a bastion repository (no packages/shell)"
[ -x "$node" ] && [ -f "$node" ] || die "--node $node is not an executable file"
trusted "$node"
trusted "$root/packages/shell"
trusted "$(dirname "$config")"
[ ! -e "$config" ] || trusted "$config"
native="$root/packages/shell/dist/native"
for bin in bastion-shell-client bastion-agent; do
  [ -f "$native/$bin" ] && [ -x "$native/$bin" ] || die "$native/$bin is missing: build the suite first (npm run build, which needs Go)"
done

# /usr/local/libexec is part of the standard hierarchy: created when missing, never
# changed and never removed.
if [ ! -d "$(dirname "$LIBEXEC_DIR")" ]; then
  install -d -o root -g root -m 0755 "$(dirname "$LIBEXEC_DIR")"
  say "created $(dirname "$LIBEXEC_DIR")"
fi
ensure_dir "$LIBEXEC_DIR"
for f in "$SHELL_BIN" "$CLIENT" "$AGENT" "$BROKER"; do trusted "$f"; done
# The binaries first: the login shell names them, and runs the client at once.
put "$CLIENT" 755 runs_help < "$native/bastion-shell-client"
put "$AGENT" 755 runs_help < "$native/bastion-agent"
sed -e "s|@CONFIG@|$config|g" -e "s|@NODE@|$node|g" -e "s|@ROOT@|$root|g" -e "s|@RUNDIR@|$rundir|g" "$HERE/shell-broker.in" | put "$BROKER" 755 /bin/sh -n
sed -e "s|^client=.*$|client=$CLIENT|" -e "s|^broker=.*$|broker=$BROKER|" -e "s|^socket=.*$|socket=$rundir/broker.sock|" "$HERE/bastion-shell" | put "$SHELL_BIN" 755 /bin/sh -n
remove "$LEGACY_SUDOERS"
remove "$LEGACY_RUNNER"
if ! grep -qxF "$SHELL_BIN" "$SHELLS" 2>/dev/null; then
  # Without the trailing newline check, the entry could glue onto the last shell.
  if [ -s "$SHELLS" ] && [ -n "$(tail -c1 "$SHELLS")" ]; then echo >> "$SHELLS"; fi
  printf '%s\n' "$SHELL_BIN" >> "$SHELLS"
  say "added $SHELL_BIN to $SHELLS"
fi
if [ -n "$dropin" ]; then
  ensure_dir "$dropin"
  put "$dropin/bastion.conf" 644 < "$SRC_DROPIN"
fi
