# Binaries no Debian package ships, built from their Go modules through the Go
# module proxy and cached in $BASTION_CACHE/bin, keyed by version, so that only
# the first run on a machine pays for the build:
#   kube-apiserver        the cluster the rbacsync and end-to-end tests talk to
#   kubectl               the same version, for the tests on the host and the toolbox
#                         image's offline build
#   aws-iam-authenticator the EKS token webhook in front of that cluster
#   k9s                   for the toolbox image's offline build, its version stamped
KUBE_VERSION="${KUBE_VERSION:-v1.33.13}"
AUTHENTICATOR_VERSION="${AUTHENTICATOR_VERSION:-v0.6.13}"
K9S_VERSION="${K9S_VERSION:-v0.50.16}"
# Used only when the machine has no Go new enough; fetched from the module proxy.
GO_FALLBACK_VERSION="${GO_FALLBACK_VERSION:-1.24.6}"
GO_BIN_DIR="$BASTION_CACHE/bin"
BASTION_BIN="${BASTION_BIN:-/opt/bastion/bin}"

# go_cmd: prints a go binary of at least 1.24, fetching the toolchain module
# golang.org/toolchain from the Go module proxy if the machine has none.
go_cmd() {
  local go
  for go in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go "$BASTION_CACHE/go-toolchain/bin/go"; do
    [ -x "$go" ] || continue
    if "$go" version 2>/dev/null | grep -Eq 'go1\.(2[4-9]|[3-9][0-9])'; then echo "$go"; return 0; fi
  done
  apt_install curl unzip ca-certificates
  local zip="$BASTION_CACHE/go-toolchain.zip"
  log "fetching Go $GO_FALLBACK_VERSION from the Go module proxy"
  curl -fsSL -o "$zip" \
    "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$GO_FALLBACK_VERSION.linux-amd64.zip"
  rm -rf "$BASTION_CACHE/go-toolchain.tmp" && mkdir -p "$BASTION_CACHE/go-toolchain.tmp"
  unzip -q "$zip" -d "$BASTION_CACHE/go-toolchain.tmp"
  rm -rf "$BASTION_CACHE/go-toolchain"
  mv "$BASTION_CACHE/go-toolchain.tmp/golang.org/toolchain@v0.0.1-go$GO_FALLBACK_VERSION.linux-amd64" "$BASTION_CACHE/go-toolchain"
  chmod +x "$BASTION_CACHE/go-toolchain/bin/"* "$BASTION_CACHE/go-toolchain/pkg/tool/"*/* 2>/dev/null || true
  rm -rf "$BASTION_CACHE/go-toolchain.tmp" "$zip"
  echo "$BASTION_CACHE/go-toolchain/bin/go"
}

# go_env: the environment every build here runs with.
go_env() {
  export GOPATH="$BASTION_CACHE/go" GOCACHE="$BASTION_CACHE/go-build"
  export GOFLAGS="-trimpath -mod=mod" CGO_ENABLED=0 GOTOOLCHAIN=local
  export GOPROXY="${GOPROXY:-https://proxy.golang.org}" GONOSUMDB="" GOSUMDB="${GOSUMDB:-sum.golang.org}"
}

# install_cached NAME VERSION: links the cached binary into $BASTION_BIN.
install_cached() {
  mkdir -p "$BASTION_BIN"
  ln -sfn "$GO_BIN_DIR/$1-$2" "$BASTION_BIN/$1"
}

# bed_kube_apiserver: k8s.io/kubernetes cannot be `go install`ed: its go.mod points
# the k8s.io/* staging modules at ./staging. A throwaway wrapper module pins each
# of them to its published v0.x twin and builds cmd/kube-apiserver from there.
# The version stamps Kubernetes' own build sets (hack/lib/version.sh); without them both
# binaries say v0.0.0-master, and kubectl cannot tell its skew from the server's.
kube_ldflags() {
  local minor="${KUBE_VERSION#v1.}" pkg
  minor="${minor%%.*}"
  printf -- '-s -w'
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    printf -- ' -X %s.gitVersion=%s -X %s.gitMajor=1 -X %s.gitMinor=%s -X %s.gitTreeState=clean' "$pkg" "$KUBE_VERSION" "$pkg" "$pkg" "$minor" "$pkg"
  done
}
# Part of the cached binaries' names: the version, and that they carry its stamps.
KUBE_BUILD_KEY="$KUBE_VERSION-stamped"

bed_kube_apiserver() {
  local out="$GO_BIN_DIR/kube-apiserver-$KUBE_BUILD_KEY"
  if [ ! -x "$out" ]; then
    local go; go="$(go_cmd)"
    ( go_env
      local staging="v0.${KUBE_VERSION#v1.}" dir="$BASTION_CACHE/kube-build"
      rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
      log "building kube-apiserver $KUBE_VERSION from its Go module (first run only, several minutes)"
      {
        echo "module bastion.local/kube-build"
        echo "go 1.24.0"
        echo "require k8s.io/kubernetes $KUBE_VERSION"
        curl -fsSL "$GOPROXY/k8s.io/kubernetes/@v/$KUBE_VERSION.mod" \
          | sed -n 's#^\t\(k8s.io/[a-z-]*\) => ./staging/src/.*#replace \1 => \1 '"$staging"'#p'
      } > go.mod
      "$go" mod download k8s.io/kubernetes
      "$go" build -ldflags="$(kube_ldflags)" -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver
      mv "$out.tmp" "$out" )
  fi
  install_cached kube-apiserver "$KUBE_BUILD_KEY"
  # kubectl of the same version, for the tests' `kubectl auth can-i` matrix on the host
  # and for the toolbox image's offline build (toolbox.offline.kubectl), so that the
  # containers' kubectl is within the version skew of the cluster it serves. Mostly
  # cached by the build above.
  local kubectl="$GO_BIN_DIR/kubectl-$KUBE_BUILD_KEY"
  if [ ! -x "$kubectl" ]; then
    local go; go="$(go_cmd)"
    ( go_env; cd "$BASTION_CACHE/kube-build"
      log "building kubectl $KUBE_VERSION from its Go module (first run only)"
      "$go" build -ldflags="$(kube_ldflags)" -o "$kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
      mv "$kubectl.tmp" "$kubectl" )
  fi
  install_cached kubectl "$KUBE_BUILD_KEY"
}

# go_install_cached NAME MODULE_PATH VERSION [LDFLAGS]: `go install`s a module that
# builds as published, into the cache. Extra LDFLAGS (such as -X for a version string)
# are part of the cached binary's name, so a change of them builds it again.
go_install_cached() {
  local name="$1" pkg="$2" version="$3" extra="${4:-}" key="$3"
  [ -z "$extra" ] || key="$version-$(printf '%s' "$extra" | sha256sum | cut -c1-8)"
  local out="$GO_BIN_DIR/$name-$key"
  if [ ! -x "$out" ]; then
    local go; go="$(go_cmd)"
    ( go_env
      log "building $name $version from its Go module (first run only)"
      local gobin; gobin="$(mktemp -d "$BASTION_CACHE/gobin.XXXX")"
      GOBIN="$gobin" GOFLAGS="-trimpath" "$go" install -ldflags="-s -w $extra" "$pkg@$version"
      mv "$gobin/$name" "$out"
      rm -rf "$gobin" )
  fi
  install_cached "$name" "$key"
}

bed_go_tools() {
  mkdir -p "$GO_BIN_DIR"
  bed_kube_apiserver
  go_install_cached aws-iam-authenticator sigs.k8s.io/aws-iam-authenticator/cmd/aws-iam-authenticator "$AUTHENTICATOR_VERSION"
  # k9s's release builds set its version by -X, as its goreleaser config does; without
  # it, `k9s version` says "dev".
  go_install_cached k9s github.com/derailed/k9s "$K9S_VERSION" "-X github.com/derailed/k9s/cmd.version=$K9S_VERSION"
  env_set BASTION_TEST_KUBE_APISERVER "$BASTION_BIN/kube-apiserver"
  env_set BASTION_TEST_KUBECTL "$BASTION_BIN/kubectl"
  env_set BASTION_TEST_AUTHENTICATOR "$BASTION_BIN/aws-iam-authenticator"
  env_set BASTION_TEST_K9S "$BASTION_BIN/k9s"
}
