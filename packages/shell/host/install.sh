#!/usr/bin/env bash
# install.sh: installs bastion-shell's host side, the part that has to live outside
# the repository because sshd, sudo and the kernel look for it at fixed paths:
#   /usr/local/bin/bastion-shell              the login shell (listed in /etc/shells)
#   /usr/local/libexec/bastion/shell-session  the root-owned wrapper that sudo runs
#   /etc/sudoers.d/bastion-shell              the one rule that lets users run it
#   <dir>/bastion.conf                        the sshd drop-in, with --sshd-dropin <dir>
# and makes sure the sudo package is there. The test bed and the Chef cookbook both call
# it. Idempotent: it writes only what differs, prints one line per change and nothing
# on a run that changes nothing. --uninstall removes what it installs (not the sudo
# package, which the host's operators may rely on for their own access).
#
# --instance NAME installs a second, independent copy beside the default one, with its
# own config: bastion-shell-NAME, shell-session-NAME and sudoers rule bastion-shell-NAME.
# A user's login shell picks the instance. The test bed uses one ("testbed") so that it
# can run on the same machine as a local bastion (scripts/local up).
set -euo pipefail

SHELLS=/etc/shells
LIBEXEC_DIR=/usr/local/libexec/bastion
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC_DROPIN="$HERE/../sshd/bastion.conf"

say() { printf 'bastion-shell install: %s\n' "$*"; }
die() { printf 'bastion-shell install: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: $0 --root <repo> --node <node binary> --config <bastion.yaml> [--sshd-dropin <dir>] [--instance <name>]
       $0 --uninstall [--sshd-dropin <dir>] [--instance <name>]
EOF
  exit 2
}

root='' node='' config='' dropin='' uninstall=0 instance=''
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="${2-}"; shift 2 || usage ;;
    --node) node="${2-}"; shift 2 || usage ;;
    --config) config="${2-}"; shift 2 || usage ;;
    --sshd-dropin) dropin="${2-}"; shift 2 || usage ;;
    --instance) instance="${2-}"; shift 2 || usage ;;
    --uninstall) uninstall=1; shift ;;
    -h|--help) usage ;;
    *) printf 'unknown argument: %s\n' "$1" >&2; usage ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run as root: it writes /usr/local, /etc/sudoers.d and /etc/shells"

# The instance's name ends up in file names and in a sudoers alias.
[ -z "$instance" ] || [[ "$instance" =~ ^[a-z][a-z0-9]{0,15}$ ]] || die "--instance must be 1-16 lowercase letters and digits, starting with a letter (got '$instance')"
suffix="${instance:+-$instance}"
SHELL_BIN="/usr/local/bin/bastion-shell$suffix"
RUNNER="$LIBEXEC_DIR/shell-session$suffix"
SUDOERS="/etc/sudoers.d/bastion-shell$suffix"
ALIAS="BASTION_SHELL_SESSION$(printf '%s' "${instance:+_$instance}" | tr a-z A-Z)"

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

ensure_sudo() {
  dpkg-query -W -f='${Status}' sudo 2>/dev/null | grep -q 'install ok installed' && return 0
  command -v apt-get >/dev/null || die "the sudo package is missing and there is no apt-get to install it"
  local log; log="$(mktemp)"
  # Try without a fresh package index first: an update is slow and often not needed.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sudo >"$log" 2>&1; then
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends sudo; } >"$log" 2>&1; then
      cat "$log" >&2; rm -f "$log"
      die "could not install the sudo package"
    fi
  fi
  rm -f "$log"
  say "installed the Debian package sudo"
}

if [ "$uninstall" -eq 1 ]; then
  if grep -qxF "$SHELL_BIN" "$SHELLS" 2>/dev/null; then
    grep -vxF "$SHELL_BIN" "$SHELLS" | put "$SHELLS" "$(stat -c '%a' "$SHELLS")" >/dev/null
    say "removed $SHELL_BIN from $SHELLS"
  fi
  remove "$SHELL_BIN"
  remove "$SUDOERS"
  remove "$RUNNER"
  if [ -d "$LIBEXEC_DIR" ] && rmdir "$LIBEXEC_DIR" 2>/dev/null; then say "removed $LIBEXEC_DIR"; fi
  if [ -n "$dropin" ]; then remove "$dropin/bastion.conf"; fi
  exit 0
fi

[ -n "$root" ] && [ -n "$node" ] && [ -n "$config" ] || usage
plain_path --root "$root"; plain_path --node "$node"; plain_path --config "$config"
[ -z "$dropin" ] || plain_path --sshd-dropin "$dropin"
root="$(cd "$root" 2>/dev/null && pwd -P)" || die "--root: no such directory"
[ -f "$root/packages/shell/package.json" ] || die "--root $root is not a bastion repository (no packages/shell)"
[ -x "$node" ] && [ -f "$node" ] || die "--node $node is not an executable file"
trusted "$node"
trusted "$root/packages/shell"
trusted "$(dirname "$config")"
[ ! -e "$config" ] || trusted "$config"

ensure_sudo
grep -Eq '^[@#]includedir[[:space:]]+/etc/sudoers\.d[[:space:]]*$' /etc/sudoers \
  || die "/etc/sudoers does not include /etc/sudoers.d, so the bastion-shell rule would never apply"

# /usr/local/libexec is part of the standard hierarchy: created when missing, never
# changed and never removed.
if [ ! -d "$(dirname "$LIBEXEC_DIR")" ]; then
  install -d -o root -g root -m 0755 "$(dirname "$LIBEXEC_DIR")"
  say "created $(dirname "$LIBEXEC_DIR")"
fi
ensure_dir "$LIBEXEC_DIR"
trusted "$RUNNER"
trusted "$SHELL_BIN"
trusted "$SUDOERS"
sed -e "s|@CONFIG@|$config|g" -e "s|@NODE@|$node|g" -e "s|@ROOT@|$root|g" "$HERE/shell-session.in" | put "$RUNNER" 755 /bin/sh -n
# The rule names the wrapper, so it goes in only once the wrapper is in place.
sed -e "s|/usr/local/libexec/bastion/shell-session|$RUNNER|g" -e "s|BASTION_SHELL_SESSION|$ALIAS|g" "$HERE/sudoers" | put "$SUDOERS" 440 /usr/sbin/visudo -cqf
sed -e "s|^runner=/usr/local/libexec/bastion/shell-session$|runner=$RUNNER|" "$HERE/bastion-shell" | put "$SHELL_BIN" 755 /bin/sh -n
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
