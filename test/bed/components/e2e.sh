# What the end-to-end suite (test/integration/e2e) needs beyond the local bastion that
# scripts/local up starts: the emulator as the personal containers reach it, so that
# `aws sts get-caller-identity --endpoint-url ...` inside johnsmith's container asks
# moto, never AWS. moto listens on 127.0.0.1 only; like kube.sh's relay for the API
# server, a relay serves it on the host address on lo that every container network may
# be allowed to reach (network.egress.allow; no other host reaches it). That relay is
# test/fixtures/sts-relay.ts, which passes sts:GetCallerIdentity and nothing else: moto
# checks no signature or policy, so a container that reached all of it could write IAM
# (join k8s-admin@hyades before the next sync) or assume anyone's role.
E2E_STS_RELAY_PORT="${E2E_STS_RELAY_PORT:-5011}"

bed_e2e() {
  apt_install iproute2 curl
  local server moto ip
  server="$(grep '^BASTION_TEST_KUBE_CONTAINER_SERVER=' "$BASTION_RUN/env" | cut -d= -f2-)"
  moto="$(grep '^BASTION_TEST_STS_ENDPOINT=' "$BASTION_RUN/env" | cut -d= -f2-)"
  [ -n "$server" ] || die "kube.sh recorded no BASTION_TEST_KUBE_CONTAINER_SERVER: run bed_kube first"
  [ -n "$moto" ] || die "moto is not up: bed_moto records BASTION_TEST_STS_ENDPOINT"
  ip="${server#https://}"; ip="${ip%%:*}"
  ip -4 addr show dev lo | grep -q " $ip/32 " || die "$ip is not on lo: kube.sh's relay address is missing"
  local script="$BASTION_ROOT/test/fixtures/sts-relay.ts" sum
  local relay=("$NODE_HOME/bin/node" "$script" --listen "$ip:$E2E_STS_RELAY_PORT" --upstream "$moto")
  # Restarted when its command line or the relay's code changed (an older bed ran socat).
  sum="$(cat "$script" "$BASTION_ROOT/test/fixtures/moto-front.ts" | sha256sum | cut -c1-16)"
  if [ "$(cat "$BASTION_RUN/sts-container-relay.args" 2>/dev/null)" != "${relay[*]} $sum" ]; then
    stop_daemon sts-container-relay
    echo "${relay[*]} $sum" > "$BASTION_RUN/sts-container-relay.args"
  fi
  start_daemon sts-container-relay "$BASTION_RUN/sts-container-relay.log" env -u NODE_OPTIONS "${relay[@]}"
  # Any HTTP answer will do: the relay refuses what it does not pass with a 403.
  wait_for "the emulator's relay on $ip:$E2E_STS_RELAY_PORT" 10 curl -s -o /dev/null "http://$ip:$E2E_STS_RELAY_PORT/"
  env_set BASTION_TEST_STS_CONTAINER_ENDPOINT "http://$ip:$E2E_STS_RELAY_PORT"
}

bed_e2e_down() {
  stop_daemon sts-container-relay
  rm -f "$BASTION_RUN/sts-container-relay.args"
}
