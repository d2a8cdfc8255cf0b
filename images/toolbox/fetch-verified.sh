#!/bin/sh
# fetch-verified.sh URL SHA256 OUT: downloads URL over HTTPS into OUT only if its
# sha256 is SHA256. Nothing is left at OUT when the download fails or the sum differs,
# so a later step can never use an unverified file. Used by the production Dockerfile.
#   FETCH_ALLOW_HTTP=1  also accept http:// (the offline test of this script only)
set -eu
[ "$#" -eq 3 ] || { echo "usage: fetch-verified.sh URL SHA256 OUT" >&2; exit 2; }
url=$1 sum=$2 out=$3
case "$sum" in
  *[!0-9a-f]*) echo "fetch-verified.sh: '$sum' is not a lowercase sha256" >&2; exit 2 ;;
esac
[ "${#sum}" -eq 64 ] || { echo "fetch-verified.sh: '$sum' is not a sha256 (64 hex digits)" >&2; exit 2; }
proto='=https'
[ "${FETCH_ALLOW_HTTP:-}" = 1 ] && proto='=https,http'
tmp="$out.part"
rm -f "$tmp" "$out"
if ! curl -fsSL --proto "$proto" --proto-redir "$proto" --retry 3 -o "$tmp" "$url"; then
  rm -f "$tmp"
  echo "fetch-verified.sh: download of $url failed" >&2
  exit 1
fi
if ! echo "$sum  $tmp" | sha256sum -c --status -; then
  echo "fetch-verified.sh: $url has sha256 $(sha256sum "$tmp" | cut -d' ' -f1), expected $sum" >&2
  rm -f "$tmp"
  exit 1
fi
mv "$tmp" "$out"
