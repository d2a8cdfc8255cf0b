# The STS + IAM emulator: moto's server mode from PyPI, in a virtualenv,
# listening on loopback only.
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
MOTO_VENV="${MOTO_VENV:-/opt/bastion/moto-venv}"
MOTO_HOST="${MOTO_HOST:-127.0.0.1}"
MOTO_PORT="${MOTO_PORT:-5011}"

bed_moto() {
  pypi_venv "$MOTO_VENV" moto "$MOTO_VERSION" 'moto[server]'
  start_daemon moto "$BASTION_RUN/moto.log" "$MOTO_VENV/bin/moto_server" -H "$MOTO_HOST" -p "$MOTO_PORT"
  wait_for "moto on $MOTO_HOST:$MOTO_PORT" 60 curl -sf "http://$MOTO_HOST:$MOTO_PORT/moto-api/"
  env_set BASTION_TEST_STS_ENDPOINT "http://$MOTO_HOST:$MOTO_PORT"
}
