#!/bin/sh
# Fetches libffi 3.4.4's source (the upstream tarball of Debian 12's libffi, from Debian's pool),
# verifies its size and sha256, and extracts it under DEST: for tests/compat/libffi_testsuite.py,
# which runs libffi's own test suite against the system libffi and ours. Nothing of it is kept in
# the repository.
#
#   scripts/fetch-libffi-testsuite.sh DEST
#
# Prints the extracted source root (DEST/libffi-3.4.4) as its last line. A tarball already in
# DEST, or in $JITFFI_LIBFFI_SRC (a directory holding libffi_3.4.4.orig.tar.gz, or that file),
# is used instead of downloading; it is verified all the same. $JITFFI_LIBFFI_URL overrides the
# download address.
# Exit codes: 0 ready; 2 the tarball could not be downloaded (no network: the caller skips);
# 1 anything else, including a tarball that does not match the checksum (never used).
set -eu

version=3.4.4
tarball=libffi_${version}.orig.tar.gz
# From Checksums-Sha256 of http://deb.debian.org/debian/pool/main/libf/libffi/libffi_3.4.4-1.dsc
# (Debian 12's source package, signed by its maintainer).
sha256=d66c56ad259a82cf2a9dfc408b32bf5da52371500b84745f7fb8b645712df676
size=1362394
url=${JITFFI_LIBFFI_URL:-http://deb.debian.org/debian/pool/main/libf/libffi/$tarball}

[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 1; }
dest=$1
root=$dest/libffi-$version
mkdir -p "$dest"

# Done before: the stamp names the verified tarball that was extracted.
if [ -f "$root/.jitffi-sha256" ] && [ "$(cat "$root/.jitffi-sha256")" = "$sha256" ] &&
  [ -d "$root/testsuite" ]; then
  echo "$root"
  exit 0
fi

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    python3 -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"
  fi
}

# Whether $1 is the expected tarball (size, then sha256).
verified() {
  [ -f "$1" ] && [ "$(wc -c <"$1" | tr -d ' ')" = "$size" ] && [ "$(sha256_of "$1")" = "$sha256" ]
}

src=""
if [ -n "${JITFFI_LIBFFI_SRC:-}" ]; then
  candidate=$JITFFI_LIBFFI_SRC
  [ -d "$candidate" ] && candidate=$candidate/$tarball
  if ! verified "$candidate"; then
    echo "fetch-libffi-testsuite: JITFFI_LIBFFI_SRC: $candidate is not $tarball (size $size," \
      "sha256 $sha256)" >&2
    exit 1
  fi
  src=$candidate
elif verified "$dest/$tarball"; then
  src=$dest/$tarball
else
  part=$dest/$tarball.part
  rm -f "$part"
  echo "fetch-libffi-testsuite: downloading $url" >&2
  if command -v curl >/dev/null 2>&1; then
    curl -fsSL --retry 2 --connect-timeout 20 --max-time 300 -o "$part" "$url" || rc=$?
  elif command -v wget >/dev/null 2>&1; then
    wget -q --tries=2 --timeout=60 -O "$part" "$url" || rc=$?
  else
    python3 - "$url" "$part" <<'EOF' || rc=$?
import shutil, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=60) as r, open(sys.argv[2], "wb") as f:
    shutil.copyfileobj(r, f)
EOF
  fi
  if [ "${rc:-0}" -ne 0 ] || [ ! -s "$part" ]; then
    rm -f "$part"
    echo "fetch-libffi-testsuite: cannot download $url" >&2
    exit 2
  fi
  if ! verified "$part"; then
    echo "fetch-libffi-testsuite: $url: got $(wc -c <"$part" | tr -d ' ') bytes, sha256" \
      "$(sha256_of "$part"); expected $size bytes, sha256 $sha256" >&2
    rm -f "$part"
    exit 1
  fi
  mv "$part" "$dest/$tarball"
  src=$dest/$tarball
fi

# Extract into a fresh directory, then move it into place.
rm -rf "$root" "$root.tmp"
mkdir -p "$root.tmp"
tar -xzf "$src" -C "$root.tmp" --strip-components=1
echo "$sha256" >"$root.tmp/.jitffi-sha256"
mv "$root.tmp" "$root"
echo "$root"
