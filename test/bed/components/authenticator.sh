# The cluster authenticates as EKS does: aws-iam-authenticator (built by gotools.sh)
# runs as kube-apiserver's token webhook, reads the aws-auth ConfigMap that rbacsync
# writes, and verifies each token by GETting its presigned STS GetCallerIdentity URL.
# It accepts only AWS's own STS host names over https, so on this machine those names
# lead to a TLS front of moto (test/fixtures/sts-tls-front.ts), and only for the
# authenticator: it runs in a mount namespace of its own, where a private /etc/hosts
# maps the STS names to the front's loopback address and a private /etc/resolv.conf
# resolves nothing else. Its CA bundle holds only the front's CA. The host's
# /etc/hosts, resolver and trust store are not touched. docs/testbed/authenticator.md
# explains each step.
#
# Two steps around bed_kube (kube.sh):
#   bed_authenticator_config  before: certificates and the webhook kubeconfig, whose
#                             presence gives kube-apiserver its webhook flag
#   bed_authenticator         after: the STS front and the authenticator server, which
#                             needs the apiserver to watch aws-auth
AUTH_DIR="${AUTH_DIR:-/etc/bastion-testbed/authenticator}"
AUTH_CLUSTER_ID="${AUTH_CLUSTER_ID:-hyades}"
# The webhook's own TLS listener (the authenticator's default port) on loopback.
AUTH_ADDRESS=127.0.0.1
AUTH_PORT=21362
AUTH_WEBHOOK_KUBECONFIG="$BASTION_RUN/kube/authenticator-webhook.kubeconfig"
# The STS front: https on port 443 (a token's URL carries no port) of a loopback
# address nothing else uses.
STS_FRONT_ADDR="${STS_FRONT_ADDR:-127.0.83.1}"
# Regional STS names the front answers for, besides the global sts.amazonaws.com. A
# token for any other region fails to resolve inside the namespace: rejected, and
# nothing leaves the machine.
AUTH_STS_REGIONS="${AUTH_STS_REGIONS:-us-east-1 us-east-2 us-west-1 us-west-2 eu-west-1 eu-west-2 eu-west-3 eu-central-1 eu-north-1}"

_auth_sts_names() {
  local r names="sts.amazonaws.com"
  for r in $AUTH_STS_REGIONS; do names="$names sts.$r.amazonaws.com"; done
  echo "$names"
}

# bed_authenticator_config: the front's CA and certificate, the authenticator's own
# certificate and its webhook kubeconfig (through its `init`), the private hosts and
# resolv.conf files. Each is made once and replaced only when its inputs change.
bed_authenticator_config() {
  apt_install openssl util-linux
  local authn="$BASTION_BIN/aws-iam-authenticator"
  [ -x "$authn" ] || die "$authn is missing: bed_go_tools (gotools.sh) builds it"
  [ -d "$AUTH_DIR" ] || install -d -m 700 "$AUTH_DIR"
  mkdir -p "$AUTH_DIR/state" "$AUTH_DIR/ca-dir" "$(dirname "$AUTH_WEBHOOK_KUBECONFIG")"

  # A CA of our own, trusted by the authenticator process alone (SSL_CERT_FILE).
  if [ ! -f "$AUTH_DIR/sts-ca.pem" ] || [ ! -f "$AUTH_DIR/sts-ca.key" ]; then
    log "creating the test bed's STS front CA"
    _auth_openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/O=bastion test bed/CN=STS front CA, for aws-iam-authenticator only" \
      -keyout "$AUTH_DIR/sts-ca.key" -out "$AUTH_DIR/sts-ca.pem"
    rm -f "$AUTH_DIR/sts-front.pem"
  fi
  local names; names="$(_auth_sts_names)"
  if [ ! -f "$AUTH_DIR/sts-front.pem" ] || [ "$(cat "$AUTH_DIR/sts-front.names" 2>/dev/null)" != "$names" ]; then
    log "issuing the STS front's certificate for: $names"
    local san; san="$(printf 'DNS:%s,' $names)"
    _auth_openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=sts.amazonaws.com" \
      -keyout "$AUTH_DIR/sts-front.key" -out "$AUTH_DIR/sts-front.csr"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' "${san%,}" > "$AUTH_DIR/sts-front.ext"
    _auth_openssl x509 -req -days 825 -in "$AUTH_DIR/sts-front.csr" -CA "$AUTH_DIR/sts-ca.pem" -CAkey "$AUTH_DIR/sts-ca.key" \
      -CAcreateserial -extfile "$AUTH_DIR/sts-front.ext" -out "$AUTH_DIR/sts-front.pem"
    rm -f "$AUTH_DIR/sts-front.csr" "$AUTH_DIR/sts-front.ext"
    echo "$names" > "$AUTH_DIR/sts-front.names"
  fi

  # The authenticator's hosts and resolv.conf, bind-mounted over /etc/hosts and
  # /etc/resolv.conf in its namespace only.
  { echo "# aws-iam-authenticator's private /etc/hosts (test/bed/components/authenticator.sh)"
    echo "127.0.0.1 localhost"
    local n; for n in $names; do echo "$STS_FRONT_ADDR $n"; done
  } | write_if_changed "$AUTH_DIR/hosts" 644
  write_if_changed "$AUTH_DIR/resolv.conf" 644 <<EOF
# aws-iam-authenticator's private resolv.conf: no name outside its hosts file resolves.
# 127.0.0.1:53 has no server here, so a lookup fails at once and stays on this machine.
nameserver 127.0.0.1
options timeout:1 attempts:1
EOF

  # The webhook's serving certificate and kubeconfig, by the authenticator's own init,
  # which takes its directories from a config file only. It rewrites the kubeconfig each
  # time, so it writes a scratch file that replaces the real one only when different
  # (kube.sh restarts kube-apiserver when the webhook kubeconfig changes).
  local scratch="$AUTH_DIR/webhook.kubeconfig.new"
  write_if_changed "$AUTH_DIR/init.yaml" 644 <<EOF
# aws-iam-authenticator init's settings (test/bed/components/authenticator.sh)
clusterID: $AUTH_CLUSTER_ID
server:
  stateDir: $AUTH_DIR/state
  generateKubeconfig: $scratch
  hostname: $AUTH_ADDRESS
  address: $AUTH_ADDRESS
  port: $AUTH_PORT
EOF
  "$authn" init -c "$AUTH_DIR/init.yaml" --feature-gates=ConfiguredInitDirectories=true >/dev/null 2>"$AUTH_DIR/init.log" \
    || { cat "$AUTH_DIR/init.log" >&2; rm -f "$scratch"; die "aws-iam-authenticator init failed"; }
  grep -q "server: https://$AUTH_ADDRESS:$AUTH_PORT/authenticate" "$scratch" \
    || { rm -f "$scratch"; die "aws-iam-authenticator init wrote an unexpected server URL into $scratch"; }
  write_if_changed "$AUTH_WEBHOOK_KUBECONFIG" 600 < "$scratch"
  rm -f "$scratch"
}

# bed_authenticator: the STS front and the authenticator server; both restart when
# their command line or certificates change.
bed_authenticator() {
  local authn="$BASTION_BIN/aws-iam-authenticator"
  local kubeconfig; kubeconfig="$(_auth_admin_kubeconfig)"
  local moto; moto="$(grep '^BASTION_TEST_STS_ENDPOINT=' "$BASTION_RUN/env" | cut -d= -f2-)"
  [ -n "$moto" ] || die "moto is not up: bed_moto records BASTION_TEST_STS_ENDPOINT"

  local front=("$NODE_HOME/bin/node" "$BASTION_ROOT/test/fixtures/sts-tls-front.ts"
    --listen "$STS_FRONT_ADDR:443" --cert "$AUTH_DIR/sts-front.pem" --key "$AUTH_DIR/sts-front.key" --upstream "$moto")
  _auth_restart_on_change sts-front "${front[*]}" "$AUTH_DIR/sts-front.pem"
  start_daemon sts-front "$BASTION_RUN/sts-front.log" "${front[@]}"
  wait_for "the STS front on $STS_FRONT_ADDR:443" 20 \
    curl -s -o /dev/null --cacert "$AUTH_DIR/sts-ca.pem" --resolve "sts.amazonaws.com:443:$STS_FRONT_ADDR" https://sts.amazonaws.com/

  # unshare --mount (private propagation): the bind mounts exist for this process only.
  # env -i: no proxy variables, no AWS credentials, no IMDS (the server would otherwise
  # ask the EC2 metadata service for its region at start).
  local server=(unshare --mount --propagation private -- /bin/sh -c
    'mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"'
    sh "$AUTH_DIR/hosts" "$AUTH_DIR/resolv.conf"
    env -i PATH=/usr/bin:/bin HOME="$AUTH_DIR" SSL_CERT_FILE="$AUTH_DIR/sts-ca.pem" SSL_CERT_DIR="$AUTH_DIR/ca-dir"
      AWS_EC2_METADATA_DISABLED=true
    "$authn" server -i "$AUTH_CLUSTER_ID" --feature-gates=ConfiguredInitDirectories=true
      --state-dir "$AUTH_DIR/state" --generate-kubeconfig "$AUTH_WEBHOOK_KUBECONFIG" --kubeconfig-pregenerated=true
      --address "$AUTH_ADDRESS" --port "$AUTH_PORT" --backend-mode EKSConfigMap --kubeconfig "$kubeconfig")
  _auth_restart_on_change authenticator "${server[*]}" "$AUTH_DIR/state/cert.pem" "$AUTH_DIR/sts-ca.pem" "$AUTH_DIR/hosts" "$AUTH_DIR/resolv.conf" "$kubeconfig"
  start_daemon authenticator "$BASTION_RUN/authenticator.log" "${server[@]}"
  wait_for "aws-iam-authenticator on $AUTH_ADDRESS:$AUTH_PORT" 30 \
    curl -sf --cacert "$AUTH_DIR/state/cert.pem" "https://$AUTH_ADDRESS:$AUTH_PORT/healthz"

  env_set BASTION_TEST_AUTHENTICATOR_LOG "$BASTION_RUN/authenticator.log"
  env_set BASTION_TEST_AUTHENTICATOR_CLUSTER_ID "$AUTH_CLUSTER_ID"
  env_set BASTION_TEST_STS_FRONT_LOG "$BASTION_RUN/sts-front.log"
  env_set BASTION_TEST_STS_FRONT_ADDR "$STS_FRONT_ADDR"
}

bed_authenticator_down() {
  stop_daemon authenticator
  stop_daemon sts-front
}

# _auth_openssl ARGS...: openssl, quiet unless it fails.
_auth_openssl() {
  openssl "$@" 2>"$AUTH_DIR/openssl.log" || { cat "$AUTH_DIR/openssl.log" >&2; die "openssl $1 failed (see above)"; }
}

# The admin kubeconfig kube.sh wrote, for the authenticator's watch on aws-auth.
_auth_admin_kubeconfig() {
  local k; k="$(grep '^BASTION_TEST_KUBECONFIG=' "$BASTION_RUN/env" | cut -d= -f2-)"
  [ -n "$k" ] && [ -f "$k" ] || die "no admin kubeconfig recorded by kube.sh (BASTION_TEST_KUBECONFIG): run bed_kube first"
  echo "$k"
}

# _auth_restart_on_change NAME COMMANDLINE FILE...: stops NAME when its command line or
# one of FILEs changed since it was started, so that start_daemon starts it afresh.
_auth_restart_on_change() {
  local name="$1" cmdline="$2"; shift 2
  local sum; sum="$( { echo "$cmdline"; cat "$@"; } | sha256sum | cut -c1-16)"
  if [ "$(cat "$BASTION_RUN/$name.config-sha" 2>/dev/null)" != "$sum" ]; then
    stop_daemon "$name"
    echo "$sum" > "$BASTION_RUN/$name.config-sha"
  fi
}
