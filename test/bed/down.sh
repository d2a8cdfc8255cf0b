#!/usr/bin/env bash
# Stops what up.sh started. Installed packages and cached images stay.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
for c in "$(dirname "${BASH_SOURCE[0]}")"/components/*.sh; do source "$c"; done
bed_fake_imds_down
stop_daemon moto
bed_e2e_down
bed_authenticator_down
bed_kube_down
stop_daemon sshd
stop_daemon shell-broker
rm -f "$BASTION_RUN/shell-broker.sum"
stop_daemon shell-metadataproxy
log "test bed stopped (Docker, packages and images are left in place)"
