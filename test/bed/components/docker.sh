# Docker Engine from Debian's docker.io, started in the background when none answers.

bed_docker() {
  apt_install docker.io iptables ca-certificates curl util-linux iproute2
  if $DOCKER version >/dev/null 2>&1; then
    return 0
  fi
  if have systemctl && [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    start_daemon dockerd "$BASTION_RUN/dockerd.log" dockerd
  fi
  wait_for "Docker Engine" 60 $DOCKER version
}
