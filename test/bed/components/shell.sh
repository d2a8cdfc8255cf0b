# The login shell's part of the test bed: its config file, its Docker network (as the
# metadata proxy would create it) and the metadata proxy on it. The containers run the
# toolbox image's offline build, which toolbox.sh builds right after this.
SHELL_TEST_CONFIG=/etc/bastion-testbed/bastion.yaml
SHELL_TEST_NETWORK=bt-shell
SHELL_TEST_IMAGE=bastion/toolbox:test
# The testbed instance's broker (install.sh --run-dir, shell.broker.runDir).
SHELL_TEST_RUN_DIR=/run/bastion-testbed/shell

# shell_broker NAME WRAPPER CONFIG RUN_DIR LOG: a session broker run by its installed
# WRAPPER (serve), as its systemd unit would run it, under start_daemon NAME; restarted
# when the built suite, the wrapper or the CONFIG changed since it started (live
# sessions survive that: their workers are their own processes). Used by the test
# bed's instance (sshd.sh) and the local bastion's (scripts/local).
shell_broker() {
  local name="$1" wrapper="$2" config="$3" rundir="$4" logfile="$5" sum
  sum="$(cat "$wrapper" "$config" "$BASTION_ROOT"/packages/shell/dist/bin/*.js "$BASTION_ROOT"/packages/shell/dist/src/*.js "$BASTION_ROOT"/packages/shell/dist/src/*/*.js | sha256sum | cut -c1-16)"
  if [ "$(cat "$BASTION_RUN/$name.sum" 2>/dev/null)" != "$sum" ]; then
    stop_daemon "$name"
    echo "$sum" > "$BASTION_RUN/$name.sum"
  fi
  mkdir -p "$(dirname "$logfile")"
  start_daemon "$name" "$logfile" "$wrapper" serve
  wait_for "the session broker $name" 20 unix_answers "$rundir/broker.sock"
}

bed_shell() {
  # e2fsprogs: mkfs.ext4, which makes the homes' images (shell.homes.sizeMb); mount
  # (util-linux) loop-mounts them.
  apt_install asciinema bsdutils e2fsprogs mount
  mkdir -p /etc/bastion-testbed
  local sts; sts="$(grep '^BASTION_TEST_STS_ENDPOINT=' "$BASTION_RUN/env" | cut -d= -f2-)"
  write_if_changed "$SHELL_TEST_CONFIG" 644 <<YAML
# Written by test/bed/components/shell.sh: the configuration the shell's tests log in with.
aws:
  accountId: "123456789012"
  region: eu-west-1
  stsEndpoint: $sts
network:
  name: $SHELL_TEST_NETWORK
  bridge: btshell0
  subnet: 10.252.0.0/24
  egress:
    # kube.sh's relay to kube-apiserver (its KUBE_CONTAINER_IP:KUBE_PORT), on an address
    # of this host, for the toolbox tests' kubectl; containers reach no other port of it.
    allow: [{ to: 10.253.0.1/32, tcp: [6443] }]
metadataproxy:
  imds:
    port: 8785
  admin:
    port: 8786
  iptables:
    chainPrefix: BT-SHELL-IMDS
  log:
    auditFile: /var/log/bastion-testbed/credentials.jsonl
shell:
  image: $SHELL_TEST_IMAGE
  allowedGroup: bastion-users
  roles:
    bt-carol: carol-admin
  homeRoot: /var/lib/bastion-testbed/home
  stateDir: /var/lib/bastion-testbed/state
  kubeconfigDir: /etc/bastion-testbed/kube
  stepTimeoutMs: 30000
  # Short, so that integration/shell/revocation.test.ts sees a user's access taken away
  # in seconds.
  revokeCheckSeconds: 3
  broker:
    runDir: $SHELL_TEST_RUN_DIR
    # Two sessions a worker, so that the suites see sessions of several users share a
    # worker, and several workers at once (integration/shell/workers.test.ts).
    sessionsPerWorker: 2
  agent:
    path: /usr/local/libexec/bastion/bastion-agent-testbed
  limits:
    pids: 128
    memoryMb: 256
    cpus: 1
    tmpfsMb: 64
  audit:
    file: /var/log/bastion-testbed/sessions.jsonl
    recordingsDir: /var/log/bastion-testbed/recordings
  log:
    file: /var/log/bastion-testbed/shell.log
    level: debug
toolbox:
  flavor: offline   # a test bed: it cannot download the production build's releases
YAML
  if ! $DOCKER network inspect "$SHELL_TEST_NETWORK" >/dev/null 2>&1; then
    log "creating Docker network $SHELL_TEST_NETWORK"
    $DOCKER network create --driver bridge --subnet 10.252.0.0/24 --gateway 10.252.0.1 \
      -o com.docker.network.bridge.name=btshell0 -o com.docker.network.bridge.enable_icc=false \
      --label bastion.managed=true "$SHELL_TEST_NETWORK" >/dev/null
  fi
  # The metadata proxy for this network, so that the shell's containers have IMDS as on
  # a real bastion.
  local proxy="$NODE_HOME/bin/node $BASTION_ROOT/packages/metadataproxy/dist/bin/bastion-metadataproxy.js --config $SHELL_TEST_CONFIG"
  # As on a real bastion: setup's iptables step makes the proxy's user and the group
  # bastion-imds, its credential log and the rules (the host guard included), and the
  # proxy runs as that user, as its unit does. A proxy still running as root (a bed
  # from before) is replaced.
  mkdir -p /var/log/bastion-testbed
  # A proxy from older code goes first: it would take out of its chains what setup adds.
  stop_if_changed shell-metadataproxy "$BASTION_ROOT/packages/metadataproxy/dist" "$BASTION_ROOT/packages/config/dist" "$SHELL_TEST_CONFIG"
  env -u NODE_OPTIONS "$NODE_HOME/bin/node" "$BASTION_ROOT/packages/admin/dist/bin/bastion.js" --config "$SHELL_TEST_CONFIG" setup iptables >/dev/null
  proxy_can_read "$BASTION_ROOT"
  local running; running="$(curl -sf -m 2 http://127.0.0.1:8786/process 2>/dev/null | sed -n 's/.*"uid":\([0-9]*\).*/\1/p' || true)"
  if [ "$running" != "$(id -u bastion-metadataproxy)" ] || ! curl -sf -m 2 http://127.0.0.1:8786/healthz >/dev/null; then
    stop_daemon shell-metadataproxy
    start_daemon shell-metadataproxy /var/log/bastion-testbed/metadataproxy.log \
      $(as_proxy_user) env -u NODE_OPTIONS AWS_ACCESS_KEY_ID=AKIABASTIONTESTBED00 AWS_SECRET_ACCESS_KEY=bastion-testbed-secret AWS_EC2_METADATA_DISABLED=true $proxy serve
    wait_for "the shell network's metadata proxy" 30 curl -sf http://127.0.0.1:8786/healthz
  fi
  env_set BASTION_TEST_SHELL_CONFIG "$SHELL_TEST_CONFIG"
  env_set BASTION_TEST_SHELL_NETWORK "$SHELL_TEST_NETWORK"
  env_set BASTION_TEST_SHELL_IMAGE "$SHELL_TEST_IMAGE"
  env_set BASTION_TEST_SHELL_RUN_DIR "$SHELL_TEST_RUN_DIR"
}
