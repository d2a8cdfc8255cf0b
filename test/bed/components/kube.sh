# A real Kubernetes API for the rbacsync and end-to-end suites: Debian's etcd-server
# and kube-apiserver (built by gotools.sh), both on loopback only. No controller
# manager runs: a deleted namespace stays Terminating until its finalizer is cleared
# (test/integration/rbacsync/fixtures/sandbox.ts does that), and no service-account
# tokens are minted.
# A second kube-apiserver, the sandbox, shares etcd under another prefix: the rbacsync
# suite rebuilds its whole world there (wiping aws-auth and every object it made)
# without touching the cluster the local bastion and the end-to-end suite use.
#   PKI (openssl, made once)  /var/lib/bastion-testbed/kube/pki: CA, serving cert for
#                             127.0.0.1, service-account key pair, admin client cert
#                             in group system:masters
#   etcd data                 /var/lib/bastion-testbed/etcd
#   audit log                 $BASTION_RUN/kube/audit.log (JSON lines, Metadata level)
#   admin kubeconfig          $BASTION_RUN/kube/admin.kubeconfig
# When $BASTION_RUN/kube/authenticator-webhook.kubeconfig exists (authenticator.sh
# writes it), kube-apiserver gets it as its token webhook. The effective command line
# is recorded; a change restarts kube-apiserver, so the bed stays idempotent.
# Containers reach the API at https://$KUBE_CONTAINER_IP:$KUBE_PORT: an address of this
# host on the loopback interface (so every container network reaches it, and no other
# host does), relayed by socat to kube-apiserver's loopback port. The serving
# certificate names it.
KUBE_STATE="${KUBE_STATE:-/var/lib/bastion-testbed/kube}"
KUBE_PKI="$KUBE_STATE/pki"
KUBE_RUN="$BASTION_RUN/kube"
KUBE_PORT="${KUBE_PORT:-6443}"
KUBE_SANDBOX_PORT="${KUBE_SANDBOX_PORT:-6444}"
KUBE_CONTAINER_IP="${KUBE_CONTAINER_IP:-10.253.0.1}"
ETCD_DATA="${ETCD_DATA:-/var/lib/bastion-testbed/etcd}"
# Not etcd's default ports, so a system etcd (the package's own service) cannot collide.
ETCD_CLIENT_PORT="${ETCD_CLIENT_PORT:-12379}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-12380}"

# _kube_cert NAME SUBJECT EXTENSIONS: a key and a CA-signed certificate, once.
_kube_cert() {
  local name="$1" subj="$2" ext="$3"
  [ -f "$KUBE_PKI/$name.crt" ] && [ -f "$KUBE_PKI/$name.key" ] && return 0
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$KUBE_PKI/$name.key" -out "$KUBE_PKI/$name.csr" 2>/dev/null
  printf '%b' "$ext" > "$KUBE_PKI/$name.ext"
  openssl x509 -req -days 3650 -in "$KUBE_PKI/$name.csr" -CA "$KUBE_PKI/ca.crt" -CAkey "$KUBE_PKI/ca.key" \
    -CAcreateserial -extfile "$KUBE_PKI/$name.ext" -out "$KUBE_PKI/$name.crt" 2>/dev/null
  rm -f "$KUBE_PKI/$name.csr" "$KUBE_PKI/$name.ext"
  chmod 600 "$KUBE_PKI/$name.key"
}

_kube_pki() {
  install -d -m 700 "$KUBE_PKI"
  if [ ! -f "$KUBE_PKI/ca.crt" ] || [ ! -f "$KUBE_PKI/ca.key" ]; then
    log "creating the test bed's Kubernetes CA"
    rm -f "$KUBE_PKI"/*.crt "$KUBE_PKI"/*.key
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=bastion test bed kubernetes CA" \
      -keyout "$KUBE_PKI/ca.key" -out "$KUBE_PKI/ca.crt" 2>/dev/null
    chmod 600 "$KUBE_PKI/ca.key"
  fi
  # A serving cert made before the container-facing address existed is made again.
  if [ -f "$KUBE_PKI/apiserver.crt" ] && ! openssl x509 -in "$KUBE_PKI/apiserver.crt" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$KUBE_CONTAINER_IP"; then
    rm -f "$KUBE_PKI/apiserver.crt" "$KUBE_PKI/apiserver.key"
  fi
  _kube_cert apiserver "/CN=kube-apiserver" \
    'subjectAltName=IP:127.0.0.1,IP:'"$KUBE_CONTAINER_IP"',IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n'
  _kube_cert admin "/O=system:masters/CN=bastion-testbed-admin" \
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n'
  if [ ! -f "$KUBE_PKI/sa.key" ] || [ ! -f "$KUBE_PKI/sa.pub" ]; then
    openssl genrsa -out "$KUBE_PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$KUBE_PKI/sa.key" -pubout -out "$KUBE_PKI/sa.pub" 2>/dev/null
    chmod 600 "$KUBE_PKI/sa.key"
  fi
}

_kube_etcd() {
  apt_install etcd-server
  install -d -m 700 "$ETCD_DATA"
  start_daemon etcd "$KUBE_RUN/etcd.log" /usr/bin/etcd --name bastion-testbed --data-dir "$ETCD_DATA" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "bastion-testbed=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for "etcd on 127.0.0.1:$ETCD_CLIENT_PORT" 30 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
}

_kube_audit_policy() {
  write_if_changed "$KUBE_STATE/audit-policy.yaml" 644 <<'POLICY'
# The test bed's audit policy: every request by a person at Metadata level (who, what,
# when, the verdict), none of the API server's own chatter or health probes.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:apiserver", "system:kube-controller-manager", "system:kube-scheduler", "system:kube-proxy"]
  - level: None
    nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
  - level: Metadata
POLICY
}

# _kube_kubeconfig NAME PORT: an admin kubeconfig for the API server on PORT.
_kube_kubeconfig() {
  write_if_changed "$KUBE_RUN/$1.kubeconfig" 600 <<KC
apiVersion: v1
kind: Config
clusters:
  - name: bastion-testbed
    cluster:
      server: https://127.0.0.1:$2
      certificate-authority: $KUBE_PKI/ca.crt
users:
  - name: bastion-testbed-admin
    user:
      client-certificate: $KUBE_PKI/admin.crt
      client-key: $KUBE_PKI/admin.key
contexts:
  - name: bastion-testbed
    context: {cluster: bastion-testbed, user: bastion-testbed-admin}
current-context: bastion-testbed
KC
}

_kube_container_relay() {
  apt_install socat iproute2
  ip -4 addr show dev lo | grep -q " $KUBE_CONTAINER_IP/32 " || ip addr add "$KUBE_CONTAINER_IP/32" dev lo
  start_daemon kube-relay "$KUBE_RUN/relay.log" /usr/bin/socat \
    "TCP-LISTEN:$KUBE_PORT,bind=$KUBE_CONTAINER_IP,fork,reuseaddr" "TCP:127.0.0.1:$KUBE_PORT"
  wait_for "the relay on $KUBE_CONTAINER_IP:$KUBE_PORT" 10 curl -sf --cacert "$KUBE_PKI/ca.crt" \
    --cert "$KUBE_PKI/admin.crt" --key "$KUBE_PKI/admin.key" "https://$KUBE_CONTAINER_IP:$KUBE_PORT/readyz"
}

# _kube_apiserver NAME STEM PORT ETCD_PREFIX AUDIT_LOG [WEBHOOK_KUBECONFIG]: starts (or,
# when its command line or the files it names changed, restarts) one kube-apiserver;
# its arguments, checksum and log are $KUBE_RUN/STEM.{args,sha,log}.
_kube_apiserver() {
  local name="$1" stem="$2" port="$3" prefix="$4" audit="$5" webhook="${6:-}"
  local args=("$(readlink -f "$BASTION_BIN/kube-apiserver")"
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port"
    --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT"
    --tls-cert-file="$KUBE_PKI/apiserver.crt" --tls-private-key-file="$KUBE_PKI/apiserver.key"
    --client-ca-file="$KUBE_PKI/ca.crt"
    --service-account-key-file="$KUBE_PKI/sa.pub" --service-account-signing-key-file="$KUBE_PKI/sa.key"
    --service-account-issuer=https://kubernetes.default.svc --service-cluster-ip-range=10.96.0.0/16
    --authorization-mode=Node,RBAC --anonymous-auth=false --endpoint-reconciler-type=none
    --audit-policy-file="$KUBE_STATE/audit-policy.yaml" --audit-log-path="$audit"
    --audit-log-format=json --audit-log-maxsize=100 --audit-log-maxbackup=3)
  [ "$prefix" = /registry ] || args+=(--etcd-prefix="$prefix")
  if [ -n "$webhook" ] && [ -f "$webhook" ]; then
    args+=(--authentication-token-webhook-config-file="$webhook" --authentication-token-webhook-cache-ttl=5s)
  fi
  # The command line, and the files it names whose content matters, decide a restart.
  local sum; sum="$( { printf '%s\n' "${args[@]}"; [ -n "$webhook" ] && [ -f "$webhook" ] && cat "$webhook"; cat "$KUBE_STATE/audit-policy.yaml" "$KUBE_PKI/apiserver.crt"; } | sha256sum | cut -c1-16)"
  printf '%s\n' "${args[@]}" | write_if_changed "$KUBE_RUN/$stem.args" 644
  if [ "$(cat "$KUBE_RUN/$stem.sha" 2>/dev/null)" != "$sum" ]; then
    stop_daemon "$name"
    echo "$sum" > "$KUBE_RUN/$stem.sha"
  fi
  start_daemon "$name" "$KUBE_RUN/$stem.log" "${args[@]}"
}

# _kube_ready NAME PORT: waits for /readyz.
_kube_ready() {
  wait_for "$1 on 127.0.0.1:$2" 90 curl -sf --cacert "$KUBE_PKI/ca.crt" \
    --cert "$KUBE_PKI/admin.crt" --key "$KUBE_PKI/admin.key" "https://127.0.0.1:$2/readyz"
}

bed_kube() {
  apt_install openssl curl
  local apiserver="$BASTION_BIN/kube-apiserver"
  [ -x "$apiserver" ] || die "$apiserver is missing: bed_go_tools (gotools.sh) builds it"
  mkdir -p "$KUBE_STATE" "$KUBE_RUN"
  _kube_pki
  _kube_etcd
  _kube_audit_policy
  _kube_apiserver kube-apiserver apiserver "$KUBE_PORT" /registry "$KUBE_RUN/audit.log" "$KUBE_RUN/authenticator-webhook.kubeconfig"
  _kube_apiserver kube-apiserver-sandbox sandbox-apiserver "$KUBE_SANDBOX_PORT" /registry-sandbox "$KUBE_RUN/audit-sandbox.log"
  _kube_kubeconfig admin "$KUBE_PORT"
  _kube_kubeconfig sandbox "$KUBE_SANDBOX_PORT"
  _kube_ready kube-apiserver "$KUBE_PORT"
  _kube_ready kube-apiserver-sandbox "$KUBE_SANDBOX_PORT"

  _kube_container_relay
  env_set BASTION_TEST_KUBECONFIG "$KUBE_RUN/admin.kubeconfig"
  env_set BASTION_TEST_KUBE_CONTAINER_SERVER "https://$KUBE_CONTAINER_IP:$KUBE_PORT"
  env_set BASTION_TEST_KUBE_SERVER "https://127.0.0.1:$KUBE_PORT"
  env_set BASTION_TEST_KUBE_CA "$KUBE_PKI/ca.crt"
  env_set BASTION_TEST_KUBE_CA_KEY "$KUBE_PKI/ca.key"
  env_set BASTION_TEST_KUBE_SERVING_CERT "$KUBE_PKI/apiserver.crt"
  env_set BASTION_TEST_KUBE_SERVING_KEY "$KUBE_PKI/apiserver.key"
  env_set BASTION_TEST_KUBE_ADMIN_CERT "$KUBE_PKI/admin.crt"
  env_set BASTION_TEST_KUBE_ADMIN_KEY "$KUBE_PKI/admin.key"
  env_set BASTION_TEST_KUBE_AUDIT_LOG "$KUBE_RUN/audit.log"
  env_set BASTION_TEST_KUBE_APISERVER_ARGS "$KUBE_RUN/apiserver.args"
  env_set BASTION_TEST_SANDBOX_KUBECONFIG "$KUBE_RUN/sandbox.kubeconfig"
  env_set BASTION_TEST_SANDBOX_KUBE_SERVER "https://127.0.0.1:$KUBE_SANDBOX_PORT"
}

bed_kube_down() {
  stop_daemon kube-relay
  stop_daemon kube-apiserver
  stop_daemon kube-apiserver-sandbox
  stop_daemon etcd
  if ip -4 addr show dev lo | grep -q " $KUBE_CONTAINER_IP/32 "; then ip addr del "$KUBE_CONTAINER_IP/32" dev lo; fi
}
