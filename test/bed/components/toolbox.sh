# The toolbox image's offline build (images/toolbox/Dockerfile.offline), made by the
# suite's own `bastion image build` with the k9s that gotools.sh builds from its Go
# module, and tagged bastion/toolbox:test for the shell's and the toolbox's suites.
# The command skips the build when that image already carries the hash of its inputs
# (the Dockerfile directory, the base image, the k9s binary), so a second run is quick.
#
# Also dockerfile-check (test/fixtures/dockerfile-check): BuildKit's own Dockerfile
# front end and linter, which `docker build --check` runs, for the production
# Dockerfile that cannot be built here. Built once from its Go module, cached by the
# hash of its source.
TOOLBOX_TEST_IMAGE=bastion/toolbox:test

bed_toolbox() {
  local logfile="$BASTION_RUN/build-toolbox.log" out
  out="$(env -u NODE_OPTIONS "$NODE_HOME/bin/node" "$BASTION_ROOT/packages/admin/dist/bin/bastion.js" --config "$SHELL_TEST_CONFIG" \
    image build --offline --no-rollout --tag "$TOOLBOX_TEST_IMAGE" 2>"$logfile")" \
    || die "building $TOOLBOX_TEST_IMAGE failed; see $logfile"
  case "$out" in
    *'no changes'*) ;;
    *) log "toolbox image: $out" ;;
  esac
  env_set BASTION_TEST_TOOLBOX_IMAGE "$TOOLBOX_TEST_IMAGE"
  _toolbox_dockerfile_check
}

_toolbox_dockerfile_check() {
  local src="$BASTION_ROOT/test/fixtures/dockerfile-check"
  local sum; sum="$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)"
  local out="$GO_BIN_DIR/dockerfile-check-$sum"
  if [ ! -x "$out" ]; then
    local go; go="$(go_cmd)"
    ( go_env; cd "$src"
      log "building dockerfile-check (BuildKit's Dockerfile front end) from its Go module (first run only)"
      GOFLAGS="-trimpath -mod=readonly" "$go" build -ldflags='-s -w' -o "$out.tmp" .
      mv "$out.tmp" "$out" )
  fi
  env_set BASTION_TEST_DOCKERFILE_CHECK "$out"
}
