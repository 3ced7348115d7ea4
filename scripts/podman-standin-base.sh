#!/usr/bin/env bash
# Make a local stand-in for the Dockerfile's base image, for machines that cannot reach a
# container registry (none is reachable here: `FROM python:3.11-slim` cannot be pulled).
#
#   sudo scripts/podman-standin-base.sh [IMAGE]
#
# IMAGE defaults to the first FROM of ./Dockerfile (e.g. python:3.11.11-slim-bookworm) and is
# tagged as docker.io/library/<name>:<tag>, which `podman build --pull=never` resolves FROM to.
# The image is Debian minbase + python3, pip, venv and CA certificates, made with debootstrap
# from the same Debian mirror this machine's apt uses, with python/pip linked into
# /usr/local/bin as in the official image.
#
# Both steps are cached: the rootfs tarball under $BPL_STANDIN_CACHE (default
# /var/cache/backprop-lab) and the imported image in podman's storage (whatever storage
# CONTAINERS_STORAGE_CONF / CONTAINERS_CONF select). The cache key covers the recipe, suite and
# mirror; change any of them and the image is rebuilt. A real (registry) image already stored
# under that name is used as it is. Needs root (debootstrap); the tests run it via
# tests/docker/test_dockerfile.py.
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "podman-standin-base: $*" >&2; exit 1; }

image=${1:-$(awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if ($i !~ /^--/) { print $i; exit } }' Dockerfile)}
[ -n "$image" ] || die "no image name given and no FROM found in Dockerfile"
# Docker's name normalisation: python:3.11 -> docker.io/library/python:3.11
case "$image" in
  */*/*|localhost/*) ;;
  */*) first=${image%%/*}
       case "$first" in *.*|*:*) ;; *) image="docker.io/$image" ;; esac ;;
  *) image="docker.io/library/$image" ;;
esac

for tool in podman debootstrap tar sha256sum flock; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (root: bash scripts/system-deps.sh; else: sudo apt-get install -y podman runc debootstrap)"
done
[ "$(id -u)" = 0 ] || die "needs root (debootstrap builds a root filesystem); run it with sudo"

# The Debian suite and Python minor version the image name promises.
suite=${BPL_STANDIN_SUITE:-bookworm}
case "$image" in *-slim-*) suite=${image##*-slim-} ;; esac
pyminor=$(printf '%s\n' "${image##*:}" | grep -oE '^[0-9]+\.[0-9]+' || true)

# The mirror apt uses here (deb822 *.sources first, then one-line lists), unless given.
mirror=${BPL_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$(awk '
    /^[Uu][Rr][Ii][Ss]:/ { uri = $2 }
    /^[Ss]uites:/ { for (i = 2; i <= NF; i++) if ($i == suite && uri != "") { print uri; exit } }
    /^[[:space:]]*$/ { uri = "" }
  ' suite="$suite" /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)
fi
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) { if ($(i + 1) == suite) { print $i; exit } else break } }' suite="$suite" \
    | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

packages=python3,python3-pip,python3-venv,ca-certificates
recipe_version=1
key=$(printf '%s\n' "$recipe_version" "$suite" "$mirror" "$packages" "$pyminor" | sha256sum | cut -c1-16)

cache=${BPL_STANDIN_CACHE:-/var/cache/backprop-lab}
mkdir -p "$cache"
exec 9>"$cache/standin.lock"
flock 9  # one builder per machine; the others wait, then find the cache filled

existing=$(podman image inspect --format '{{ index .Labels "org.backprop-lab.standin" }}' "$image" 2>/dev/null || echo absent)
case "$existing" in
  "$key") echo "podman-standin-base: $image is the cached stand-in ($key)"; exit 0 ;;
  absent) ;;
  ""|"<no value>") echo "podman-standin-base: $image exists and is not a stand-in; using it as it is"; exit 0 ;;
  *) echo "podman-standin-base: replacing the stand-in $existing (recipe changed)"
     old_id=$(podman image inspect --format '{{.Id}}' "$image") ;;
esac

# A rootfs being built may hold mounts (debootstrap mounts /proc, /sys): unmount, never cross.
drop_rootfs() {
  awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | xargs -r -n1 umount -l
  rm -rf --one-file-system "$1"
}
for stale in "$cache"/rootfs.*; do  # left by a run that was killed
  [ -d "$stale" ] && drop_rootfs "$stale"
done

tarball="$cache/standin-$suite-$key.tar"
if [ ! -s "$tarball" ]; then
  rootfs=$(mktemp -d "$cache/rootfs.XXXXXX")
  trap 'drop_rootfs "$rootfs"; rm -f "$tarball.part"' EXIT
  echo "podman-standin-base: debootstrap $suite from $mirror (about a minute)"
  debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
    >"$cache/debootstrap.log" 2>&1 || { tail -n 30 "$cache/debootstrap.log" >&2; die "debootstrap failed (log: $cache/debootstrap.log)"; }
  if [ -n "$pyminor" ] && [ ! -x "$rootfs/usr/bin/python$pyminor" ]; then
    die "Debian $suite has no python$pyminor; this stand-in cannot play $image"
  fi
  # Like the official image: pip may install into the system Python; python/pip on PATH.
  rm -f "$rootfs"/usr/lib/python3*/EXTERNALLY-MANAGED
  for name in python python3; do ln -sf /usr/bin/python3 "$rootfs/usr/local/bin/$name"; done
  for name in pip pip3; do ln -sf /usr/bin/pip3 "$rootfs/usr/local/bin/$name"; done
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*
  tar --numeric-owner -C "$rootfs" -cf "$tarball.part" .
  mv "$tarball.part" "$tarball"
  drop_rootfs "$rootfs"
  trap - EXIT
  find "$cache" -maxdepth 1 -name "standin-$suite-*.tar" ! -name "$(basename "$tarball")" -delete
fi

echo "podman-standin-base: importing $tarball as $image"
podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change "LABEL org.backprop-lab.standin=$key" \
  --change 'CMD ["python3"]' \
  --quiet "$tarball" "$image" >/dev/null
[ -z "${old_id:-}" ] || podman rmi "$old_id" >/dev/null 2>&1 || true
echo "podman-standin-base: $image ready (stand-in $key)"
