# What the end-to-end suite (test/integration/e2e) needs beyond the local bastion that
# scripts/local up starts: the emulator as the personal containers reach it, so that
# `aws sts get-caller-identity --endpoint-url ...` inside johnsmith's container asks
# moto, never AWS. moto listens on 127.0.0.1 only; like kube.sh's relay for the API
# server, socat relays it from the host address on lo that every container network
# reaches (and no other host does).
E2E_STS_RELAY_PORT="${E2E_STS_RELAY_PORT:-5011}"

bed_e2e() {
  apt_install socat iproute2 curl
  local server moto ip
  server="$(grep '^BASTION_TEST_KUBE_CONTAINER_SERVER=' "$BASTION_RUN/env" | cut -d= -f2-)"
  moto="$(grep '^BASTION_TEST_STS_ENDPOINT=' "$BASTION_RUN/env" | cut -d= -f2-)"
  [ -n "$server" ] || die "kube.sh recorded no BASTION_TEST_KUBE_CONTAINER_SERVER: run bed_kube first"
  [ -n "$moto" ] || die "moto is not up: bed_moto records BASTION_TEST_STS_ENDPOINT"
  ip="${server#https://}"; ip="${ip%%:*}"
  ip -4 addr show dev lo | grep -q " $ip/32 " || die "$ip is not on lo: kube.sh's relay address is missing"
  local target="${moto#http://}"
  local relay=(/usr/bin/socat "TCP-LISTEN:$E2E_STS_RELAY_PORT,bind=$ip,fork,reuseaddr" "TCP:$target")
  if [ "$(cat "$BASTION_RUN/sts-container-relay.args" 2>/dev/null)" != "${relay[*]}" ]; then
    stop_daemon sts-container-relay
    echo "${relay[*]}" > "$BASTION_RUN/sts-container-relay.args"
  fi
  start_daemon sts-container-relay "$BASTION_RUN/sts-container-relay.log" "${relay[@]}"
  wait_for "the emulator's relay on $ip:$E2E_STS_RELAY_PORT" 10 curl -sf "http://$ip:$E2E_STS_RELAY_PORT/moto-api/"
  env_set BASTION_TEST_STS_CONTAINER_ENDPOINT "http://$ip:$E2E_STS_RELAY_PORT"
}

bed_e2e_down() {
  stop_daemon sts-container-relay
  rm -f "$BASTION_RUN/sts-container-relay.args"
}
