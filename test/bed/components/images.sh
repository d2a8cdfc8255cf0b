# Container images without a registry: a Debian base from debootstrap, imported
# into Docker, and test images built on top of it with `docker build --network host`.
BASE_IMAGE="${BASE_IMAGE:-bastion/debian:bookworm}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

bed_base_image() {
  if $DOCKER image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return 0
  fi
  apt_install debootstrap
  local tarball="$BASTION_CACHE/debian-bookworm-rootfs.tar"
  if [ ! -f "$tarball" ]; then
    local rootfs; rootfs="$(mktemp -d "$BASTION_CACHE/rootfs.XXXX")"
    log "debootstrapping Debian bookworm (minbase) into $rootfs"
    debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$DEBIAN_MIRROR" >"$BASTION_RUN/debootstrap.log" 2>&1 \
      || die "debootstrap failed; see $BASTION_RUN/debootstrap.log"
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  log "importing $BASE_IMAGE"
  $DOCKER import --change 'CMD ["/bin/bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
}

# bed_build_image TAG DIR: builds DIR's Dockerfile unless TAG exists with the same content hash.
bed_build_image() {
  local tag="$1" dir="$2"
  local sum; sum="$(cd "$dir" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
  local have_sum; have_sum="$($DOCKER image inspect -f '{{index .Config.Labels "bastion.context-sha"}}' "$tag" 2>/dev/null || true)"
  [ "$have_sum" = "$sum" ] && return 0
  log "building $tag from $dir"
  $DOCKER build --network host --build-arg "BASE=$BASE_IMAGE" --label "bastion.context-sha=$sum" -t "$tag" "$dir" \
    >"$BASTION_RUN/build-$(echo "$tag" | tr '/:' '__').log" 2>&1 \
    || die "building $tag failed; see $BASTION_RUN/build-$(echo "$tag" | tr '/:' '__').log"
}
