#!/bin/sh
# check.sh: CI for bastion-shell's Go programs. gofmt, go vet, and the tests with the
# race detector (which needs cgo, so gcc), then a release build that must be static,
# then vet and the tests again with Go 1.19 when it is installed.
# Prints what failed, and exits non-zero if anything did.
set -u

here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1
. "$here/toolchain.sh"
setup_go || exit 1

failed=
fail() {
  echo "check.sh: FAILED: $*" >&2
  failed="$failed
  $1"
}

unformatted=$("$("$GO" env GOROOT)/bin/gofmt" -l . 2>&1)
if [ -n "$unformatted" ]; then
  fail "gofmt" "(run gofmt -w on: $(echo $unformatted))"
fi
"$GO" vet ./... || fail "go vet"
CGO_ENABLED=1 "$GO" test -race -count=1 ./... || fail "go test -race"
if "$here/build.sh"; then
  if command -v file >/dev/null 2>&1; then
    for bin in "$here/../dist/native/bastion-shell-client" "$here/../dist/native/bastion-agent"; do
      file -b "$bin" | grep -q 'statically linked' || fail "static binary" "($bin: $(file -b "$bin"))"
    done
  fi
else
  fail "build.sh"
fi

# The oldest Go the module promises, Debian 12's golang-go, when it is installed (the
# test bed installs it): vet and the tests, without the race detector.
oldest=/usr/lib/go-1.19/bin/go
if [ -x "$oldest" ]; then
  GOCACHE="$GOCACHE-go1.19" "$oldest" vet ./... || fail "go1.19 vet"
  GOCACHE="$GOCACHE-go1.19" CGO_ENABLED=0 "$oldest" test -count=1 ./... || fail "go1.19 test"
fi

if [ -n "$failed" ]; then
  echo "check.sh: these checks failed:$failed" >&2
  exit 1
fi
