# A stand-in for the host's real IMDS, for passthrough and leak tests. It runs in a
# network namespace of ours that owns 169.254.169.254, and the host routes that one
# address into it, so nothing ever leaves this machine. It serves a "host role" whose
# name and keys the leak tests look for.
#
# It behaves like an EC2 instance set as the docs ask (HttpTokens=required, a PUT
# response hop limit of 1): every answer but the token PUT needs a token, and every
# packet it sends has an IP TTL of 1. The host itself receives them, but the host
# forwarding one to a container drops it, so a container that gets past our rules still
# gets nothing. A route `hoplimit` would not do: Docker masquerades the container's
# traffic, and the answer comes back on the connected route.
IMDS_NETNS=bastion-imds
IMDS_HOST_IF=bimds0
IMDS_NS_IF=bimds1

bed_fake_imds() {
  apt_install iproute2
  if ! ip netns list | grep -qw "$IMDS_NETNS"; then
    log "creating network namespace $IMDS_NETNS for the stand-in IMDS"
    ip netns add "$IMDS_NETNS"
  fi
  if ! ip link show "$IMDS_HOST_IF" >/dev/null 2>&1; then
    ip link add "$IMDS_HOST_IF" type veth peer name "$IMDS_NS_IF"
    ip link set "$IMDS_NS_IF" netns "$IMDS_NETNS"
  fi
  ip addr replace 169.254.200.1/30 dev "$IMDS_HOST_IF"
  ip link set "$IMDS_HOST_IF" up
  ip netns exec "$IMDS_NETNS" ip addr replace 169.254.200.2/30 dev "$IMDS_NS_IF"
  ip netns exec "$IMDS_NETNS" ip addr replace 169.254.169.254/32 dev "$IMDS_NS_IF"
  ip netns exec "$IMDS_NETNS" ip link set "$IMDS_NS_IF" up
  ip netns exec "$IMDS_NETNS" ip link set lo up
  ip netns exec "$IMDS_NETNS" ip route replace default via 169.254.200.1 dev "$IMDS_NS_IF"
  ip netns exec "$IMDS_NETNS" sysctl -qw net.ipv4.ip_default_ttl=1
  ip route replace 169.254.169.254/32 via 169.254.200.2 dev "$IMDS_HOST_IF"
  start_daemon fake-imds "$BASTION_RUN/fake-imds.log" \
    ip netns exec "$IMDS_NETNS" "$NODE_HOME/bin/node" "$BASTION_ROOT/test/fixtures/fake-imds.ts" \
      --listen 169.254.169.254:80 --log "$BASTION_RUN/fake-imds-requests.jsonl"
  wait_for "the stand-in IMDS" 20 imds_holder curl -sf -m 1 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token
  env_set BASTION_TEST_IMDS_LOG "$BASTION_RUN/fake-imds-requests.jsonl"
}

bed_fake_imds_down() {
  stop_daemon fake-imds
  ip route del 169.254.169.254/32 2>/dev/null || true
  ip link del "$IMDS_HOST_IF" 2>/dev/null || true
  ip netns del "$IMDS_NETNS" 2>/dev/null || true
}
