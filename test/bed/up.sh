#!/usr/bin/env bash
# The test bed: installs what is missing and starts the real components the tests
# talk to. Idempotent: a second run on the same machine only checks, in seconds.
# It changes the host (packages, iptables, network namespaces, daemons): run it on a
# disposable machine such as CI's, as root.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for c in "$(dirname "${BASH_SOURCE[0]}")"/components/*.sh; do source "$c"; done

[ "$(id -u)" -eq 0 ] || die "run the test bed as root (it installs packages and changes iptables)"
start=$SECONDS
bed_node
bed_npm_deps
bed_build
bed_docker
bed_base_image
bed_build_image bastion/imds-client:test "$BASTION_ROOT/test/fixtures/images/imds-client"
bed_moto
bed_go_tools
bed_authenticator_config
bed_kube
bed_authenticator
bed_e2e
bed_fake_imds
bed_shell
bed_toolbox
bed_sshd
bed_ssh_audit
bed_chef
bed_cfn_lint
env_set BASTION_TEST_BASE_IMAGE "$BASE_IMAGE"
env_set BASTION_TEST_CLIENT_IMAGE bastion/imds-client:test
log "ready in $((SECONDS - start))s; facts for the tests are in $BASTION_RUN/env"
