#!/usr/bin/env bash
# Restarts the test bed's dockerd (live-restore keeps every container running) and
# returns once it answers again: self-repair.test.ts's real dockerd restart.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/components/docker.sh"
bed_docker_restart
