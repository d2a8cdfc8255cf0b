# toolchain.sh: sourced by build.sh and check.sh. It finds a Go toolchain (1.19, as
# Debian 12's golang-go, or newer) and makes it work as root on a fresh machine: with
# no HOME to keep a cache in, and without the network (the module has no
# dependencies, and no newer toolchain may be fetched).

# find_go prints the first Go toolchain that runs.
find_go() {
  for candidate in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go/bin/go \
    /var/cache/bastion-testbed/go-toolchain/bin/go; do
    if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" version >/dev/null 2>&1; then
      printf '%s\n' "$candidate"
      return 0
    fi
  done
  return 1
}

# setup_go sets GO, or prints why it cannot and fails.
setup_go() {
  if ! GO=$(find_go); then
    echo "no Go toolchain found: install Debian's golang-go (Go 1.19 or newer)" >&2
    return 1
  fi
  export GOTOOLCHAIN=local GOPROXY=off GO111MODULE=on
  # go reports "off" when it has no HOME to derive a cache from.
  cache=${GOCACHE:-$("$GO" env GOCACHE 2>/dev/null || true)}
  case $cache in
    /*) mkdir -p "$cache" 2>/dev/null || cache= ;;
    *) cache= ;;
  esac
  if [ -z "$cache" ]; then
    export GOCACHE=/var/cache/bastion/go-build
  fi
  if [ -z "${GOPATH:-}" ] && [ -z "${HOME:-}" ]; then
    export GOPATH=/var/cache/bastion/go-path
  fi
}
