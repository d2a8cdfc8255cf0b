# Docker Engine from Debian's docker.io, started in the background when none answers.
# It runs with live-restore, so that containers outlive a restart of dockerd:
# self-repair.test.ts restarts it for real (bed_docker_restart), and every container
# of the bed must survive that, as a bastion's sessions would with the same setting.

bed_docker() {
  apt_install docker.io iptables ca-certificates curl util-linux iproute2
  mkdir -p /etc/docker
  write_if_changed /etc/docker/daemon.json 644 <<'JSON'
{ "live-restore": true }
JSON
  if $DOCKER version >/dev/null 2>&1; then
    docker_live_restore
    return 0
  fi
  if have systemctl && [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    start_daemon dockerd "$BASTION_RUN/dockerd.log" dockerd
  fi
  wait_for "Docker Engine" 60 $DOCKER version
  docker_live_restore
}

# docker_live_restore: a dockerd that was started before daemon.json said live-restore
# reloads it (SIGHUP; live-restore is one of the settings a reload applies).
docker_live_restore() {
  docker_has_live_restore && return 0
  local pid
  log "dockerd: reloading /etc/docker/daemon.json (live-restore)"
  if pid="$(daemon_pid dockerd)"; then
    kill -HUP "$pid"
  elif have systemctl && [ -d /run/systemd/system ]; then
    systemctl reload docker
  else
    die "dockerd runs without live-restore and was not started by the bed: restart it with /etc/docker/daemon.json"
  fi
  wait_for "dockerd with live-restore" 30 docker_has_live_restore
}

docker_has_live_restore() { [ "$($DOCKER info --format '{{.LiveRestoreEnabled}}' 2>/dev/null)" = true ]; }

# bed_docker_restart: stops dockerd and starts it again as the bed does, and returns
# once it answers; the containers keep running (live-restore).
bed_docker_restart() {
  docker_has_live_restore || die "dockerd has no live-restore: a restart would stop every container of the bed"
  if have systemctl && [ -d /run/systemd/system ]; then
    systemctl restart docker
  else
    daemon_pid dockerd >/dev/null || die "dockerd was not started by the bed; not restarting it"
    stop_daemon dockerd
  fi
  bed_docker
}
