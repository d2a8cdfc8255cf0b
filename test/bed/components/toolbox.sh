# The toolbox image's offline build (images/toolbox/Dockerfile.offline), made by the
# suite's own `bastion image build` with the k9s that gotools.sh builds from its Go
# module, and tagged bastion/toolbox:test for the shell's and the toolbox's suites.
# The command skips the build when that image already carries the hash of its inputs
# (the Dockerfile directory, the base image, the k9s binary), so a second run is quick.
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
}
