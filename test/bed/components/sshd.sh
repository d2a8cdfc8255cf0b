# A second OpenSSH server for the test suites, on loopback, with the suite's own sshd
# drop-in and bastion-shell's host side installed by packages/shell/host/install.sh,
# plus the test users and a client key. The system's sshd is left alone.
SSHD_DIR="${SSHD_DIR:-/etc/bastion-testbed}"
SSHD_CONFIG="$SSHD_DIR/sshd_config"
SSHD_DROPIN_DIR="$SSHD_DIR/sshd_config.d"
SSHD_HOST_KEY="$SSHD_DIR/ssh_host_ed25519_key"
# Host keys as a hardened Debian host has them: Ed25519 first, RSA regenerated at 4096
# bits (ssh-audit's hardened policy wants both), and Debian's stock ECDSA key, which the
# drop-in's HostKeyAlgorithms must keep from being offered.
SSHD_RSA_HOST_KEY="$SSHD_DIR/ssh_host_rsa_key"
SSHD_ECDSA_HOST_KEY="$SSHD_DIR/ssh_host_ecdsa_key"
SSHD_CLIENT_KEY="$SSHD_DIR/client_ed25519"
SSHD_KNOWN_HOSTS="$SSHD_DIR/known_hosts"
SSHD_PORT_FILE="$SSHD_DIR/port"
SSHD_SHELL_CONFIG="$SSHD_DIR/bastion.yaml"
# Its own instance of bastion-shell's host side (install.sh --instance), so that a local
# bastion (scripts/local up, the default instance) can run on the same machine.
SSHD_INSTANCE=testbed
BASTION_SHELL="/usr/local/bin/bastion-shell-$SSHD_INSTANCE"
SSHD_GROUP=bastion-users
SSHD_MEMBERS="bt-alice bt-bob bt-carol"

bed_sshd() {
  apt_install openssh-server openssh-client rsync iproute2
  # Writable by root alone: install.sh refuses a config directory anyone else can write.
  [ -d "$SSHD_DIR" ] || install -d -m 755 "$SSHD_DIR"
  [ -d /run/sshd ] || mkdir -m 755 /run/sshd

  if [ ! -f "$SSHD_HOST_KEY" ]; then
    log "generating the test sshd's host key"
    ssh-keygen -q -t ed25519 -N '' -C bastion-testbed-host -f "$SSHD_HOST_KEY"
  fi
  if [ ! -f "$SSHD_RSA_HOST_KEY" ]; then
    log "generating the test sshd's RSA host key"
    ssh-keygen -q -t rsa -b 4096 -N '' -C bastion-testbed-host -f "$SSHD_RSA_HOST_KEY"
  fi
  if [ ! -f "$SSHD_ECDSA_HOST_KEY" ]; then
    log "generating the test sshd's ECDSA host key"
    ssh-keygen -q -t ecdsa -b 256 -N '' -C bastion-testbed-host -f "$SSHD_ECDSA_HOST_KEY"
  fi
  if [ ! -f "$SSHD_CLIENT_KEY" ]; then
    log "generating the test client key"
    ssh-keygen -q -t ed25519 -N '' -C bastion-testbed-client -f "$SSHD_CLIENT_KEY"
  fi

  # The drop-in arrives through install.sh, the same way a real host gets it.
  "$BASTION_ROOT/packages/shell/host/install.sh" --root "$BASTION_ROOT" --node "$NODE_HOME/bin/node" \
    --config "$SSHD_SHELL_CONFIG" --run-dir "$SHELL_TEST_RUN_DIR" --sshd-dropin "$SSHD_DROPIN_DIR" --instance "$SSHD_INSTANCE" | while IFS= read -r line; do log "$line"; done
  shell_broker shell-broker "$SSHD_BROKER" "$SSHD_SHELL_CONFIG" "$SHELL_TEST_RUN_DIR" /var/log/bastion-testbed/shell-broker.log
  # What the drop-in's AuthorizedKeysCommand needs (keys from IAM, `bastion users sync`):
  # its user bastion-keys and the command, installed by the suite's own setup step.
  env -u NODE_OPTIONS "$NODE_HOME/bin/node" "$BASTION_ROOT/packages/admin/dist/bin/bastion.js" --config "$SSHD_SHELL_CONFIG" setup users \
    | while IFS= read -r line; do [ "$line" = 'setup: no changes' ] || log "$line"; done

  local port; port="$(_sshd_port)"
  write_if_changed "$SSHD_CONFIG" 644 <<EOF
# The test bed's own sshd ($BASTION_ROOT/test/bed/components/sshd.sh writes this file).
# The drop-in comes first, as in Debian's sshd_config, so its values win.
Include $SSHD_DROPIN_DIR/bastion.conf
ListenAddress 127.0.0.1
Port $port
HostKey $SSHD_HOST_KEY
HostKey $SSHD_RSA_HOST_KEY
HostKey $SSHD_ECDSA_HOST_KEY
# With -D sshd does not fork, so it records the same pid as start_daemon.
PidFile $BASTION_RUN/sshd.pid
PubkeyAuthentication yes
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM yes
PermitRootLogin no
PrintMotd no
# No MaxStartups or other limit here: the drop-in's throttling is what the benchmarks
# and ssh-audit measure.
LogLevel VERBOSE
# As in Debian's sshd_config: the external server, run through the login shell.
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
  /usr/sbin/sshd -t -f "$SSHD_CONFIG" || die "$SSHD_CONFIG does not validate (sshd -t)"

  # Restart when the config or the drop-in changed since the running sshd read them.
  local sum; sum="$(cat "$SSHD_CONFIG" "$SSHD_DROPIN_DIR/bastion.conf" | sha256sum | cut -c1-16)"
  if [ "$(cat "$BASTION_RUN/sshd.config-sha" 2>/dev/null)" != "$sum" ]; then
    stop_daemon sshd
    echo "$sum" > "$BASTION_RUN/sshd.config-sha"
  fi
  start_daemon sshd "$BASTION_RUN/sshd.log" /usr/sbin/sshd -D -e -f "$SSHD_CONFIG"
  wait_for "the test sshd on 127.0.0.1:$port" 10 _sshd_listening "$port"

  write_if_changed "$SSHD_KNOWN_HOSTS" 644 <<EOF
[127.0.0.1]:$port $(cut -d' ' -f1,2 "$SSHD_HOST_KEY.pub")
EOF

  getent group "$SSHD_GROUP" >/dev/null || groupadd "$SSHD_GROUP"
  local u
  for u in $SSHD_MEMBERS; do _sshd_user "$u" "$BASTION_SHELL" "$SSHD_GROUP"; done
  _sshd_user bt-outsider "$BASTION_SHELL" ''
  _sshd_user bt-plain /bin/bash ''

  env_set BASTION_TEST_SSH_PORT "$port"
  env_set BASTION_TEST_SSH_KEY "$SSHD_CLIENT_KEY"
  env_set BASTION_TEST_SSH_KNOWN_HOSTS "$SSHD_KNOWN_HOSTS"
  env_set BASTION_TEST_SSH_USERS "$SSHD_MEMBERS bt-outsider bt-plain"
  env_set BASTION_TEST_SSHD_LOG "$BASTION_RUN/sshd.log"
  env_set BASTION_TEST_SSHD_CONFIG "$SSHD_CONFIG"
  env_set BASTION_TEST_SSHD_DROPIN_DIR "$SSHD_DROPIN_DIR"
  env_set BASTION_TEST_INSTALL_CONFIG "$SSHD_SHELL_CONFIG"
  env_set BASTION_TEST_INSTALL_NODE "$NODE_HOME/bin/node"
  env_set BASTION_TEST_SHELL_INSTANCE "$SSHD_INSTANCE"
  env_set BASTION_TEST_SHELL_BIN "$BASTION_SHELL"
  env_set BASTION_TEST_SHELL_BROKER "$SSHD_BROKER"
  env_set BASTION_TEST_SHELL_CLIENT "/usr/local/libexec/bastion/bastion-shell-client-$SSHD_INSTANCE"
  env_set BASTION_TEST_SHELL_AGENT "/usr/local/libexec/bastion/bastion-agent-$SSHD_INSTANCE"
}

# The testbed instance's session broker (shell_broker, shell.sh).
SSHD_BROKER="/usr/local/libexec/bastion/shell-broker-$SSHD_INSTANCE"

_sshd_listening() { [ -n "$(ss -Hltn "src 127.0.0.1 and sport = :$1")" ]; }
_sshd_busy() { [ -n "$(ss -Hltn "sport = :$1")" ]; }

# _sshd_port: the port recorded by an earlier run while our sshd holds it; otherwise
# 2222, or the next free one, so that a busy 2222 never blocks the bed.
_sshd_port() {
  local p
  if [ -f "$SSHD_PORT_FILE" ]; then
    p="$(cat "$SSHD_PORT_FILE")"
    if daemon_pid sshd >/dev/null; then
      echo "$p"; return 0
    fi
    if ! _sshd_busy "$p"; then echo "$p"; return 0; fi
  fi
  for p in 2222 $(seq 2223 2299); do
    if ! _sshd_busy "$p"; then
      echo "$p" > "$SSHD_PORT_FILE"
      echo "$p"; return 0
    fi
  done
  die "no free port for the test sshd in 2222-2299"
}

# _sshd_user NAME SHELL GROUP: the user, with SHELL, in GROUP only when GROUP is given,
# never in docker, and with the test client's key.
_sshd_user() {
  local u="$1" shell="$2" group="$3"
  if ! id "$u" >/dev/null 2>&1; then
    log "creating user $u"
    useradd -m -s "$shell" ${group:+-G "$group"} "$u"
  fi
  [ "$(getent passwd "$u" | cut -d: -f7)" = "$shell" ] || usermod -s "$shell" "$u"
  local groups; groups=" $(id -nG "$u") "
  if [ -n "$group" ] && [[ "$groups" != *" $group "* ]]; then gpasswd -a "$u" "$group" >/dev/null; fi
  if [ -z "$group" ] && [[ "$groups" == *" $SSHD_GROUP "* ]]; then gpasswd -d "$u" "$SSHD_GROUP" >/dev/null; fi
  # The docker group is root by another name (ARCHITECTURE.md, invariant 1).
  if [[ "$groups" == *" docker "* ]]; then gpasswd -d "$u" docker >/dev/null; fi

  local home; home="$(getent passwd "$u" | cut -d: -f6)"
  local ssh="$home/.ssh"
  [ -d "$ssh" ] || install -d -o "$u" -g "$u" -m 700 "$ssh"
  [ "$(stat -c '%U %a' "$ssh")" = "$u 700" ] || { chown "$u:" "$ssh"; chmod 700 "$ssh"; }
  write_if_changed "$ssh/authorized_keys" 600 < "$SSHD_CLIENT_KEY.pub"
  [ "$(stat -c '%U' "$ssh/authorized_keys")" = "$u" ] || chown "$u:" "$ssh/authorized_keys"
}
