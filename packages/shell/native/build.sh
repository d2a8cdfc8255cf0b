#!/bin/sh
# build.sh: builds bastion-shell's two Go programs, the login shell's client and the
# in-container agent, as static binaries into packages/shell/dist/native/. Silent on
# success; fast when nothing changed (Go's build cache). A binary is replaced only
# when it changed, and then by rename: a running agent is bind-mounted into
# containers, and its file must not change under it.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/.." && pwd)/dist/native
. "$here/toolchain.sh"
setup_go || exit 1

if ! mkdir -p "$out" 2>/dev/null; then
  echo "build.sh: cannot create $out" >&2
  exit 1
fi
tmp=
trap 'rm -f "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for cmd in bastion-shell-client bastion-agent; do
  tmp="$out/.$cmd.tmp.$$"
  # -buildvcs=false: no git stamp, so the binary depends only on the sources, and a
  # checkout owned by another user does not fail the build.
  if ! (cd "$here" && CGO_ENABLED=0 "$GO" build -trimpath -buildvcs=false \
    -ldflags '-s -w -buildid=' -o "$tmp" "./cmd/$cmd"); then
    echo "build.sh: building $cmd with $GO failed (the compiler's errors are above)" >&2
    exit 1
  fi
  if cmp -s "$tmp" "$out/$cmd"; then
    rm -f "$tmp"
  else
    chmod 0755 "$tmp"
    mv -f "$tmp" "$out/$cmd"
  fi
done
