# The STS + IAM emulator: moto's server mode from PyPI, in a virtualenv,
# listening on loopback only.
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
MOTO_VENV="${MOTO_VENV:-/opt/bastion/moto-venv}"
MOTO_HOST="${MOTO_HOST:-127.0.0.1}"
MOTO_PORT="${MOTO_PORT:-5011}"

bed_moto() {
  local installed
  installed="$("$MOTO_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true)"
  if [ ! -x "$MOTO_VENV/bin/moto_server" ] || [ "$installed" != "$MOTO_VERSION" ]; then
    apt_install python3 python3-venv
    log "installing moto[server]==$MOTO_VERSION into $MOTO_VENV"
    /usr/bin/python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  fi
  start_daemon moto "$BASTION_RUN/moto.log" "$MOTO_VENV/bin/moto_server" -H "$MOTO_HOST" -p "$MOTO_PORT"
  wait_for "moto on $MOTO_HOST:$MOTO_PORT" 60 curl -sf "http://$MOTO_HOST:$MOTO_PORT/moto-api/"
  env_set BASTION_TEST_STS_ENDPOINT "http://$MOTO_HOST:$MOTO_PORT"
}
