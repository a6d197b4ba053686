#!/usr/bin/env bash
# Builds the local images the Docker tests use. No registry is reachable here, so nothing is
# pulled; each image is a root fs made on this machine and `docker import`ed:
# - kawa-test/busybox:latest: busybox-static, for command tasks;
# - kawa-test/vps:latest: Debian bookworm minbase plus openssh-server (debootstrap), for VPS
#   tasks. The debootstrap result is cached as a tarball under $KAWA_TEST_CACHE_DIR (default
#   /var/cache/kawa-test), so a rerun downloads nothing.
# An image is rebuilt only when its recipe (the function that makes its root fs) changes; the
# recipe's hash is kept in the image's label kawa.test.recipe.
set -euo pipefail

cache_dir="${KAWA_TEST_CACHE_DIR:-/var/cache/kawa-test}"
# Temp dirs to remove however the script ends.
scratch=()
trap 'rm -rf "${scratch[@]}"' EXIT

# The hash of a recipe: the text of the function that builds the root fs.
recipe_of() { declare -f "$1" | sha256sum | cut -c1-16; }

image_recipe() {
  docker image inspect --format '{{index .Config.Labels "kawa.test.recipe"}}' "$1" 2>/dev/null || true
}

# import_as IMAGE RECIPE PATH CMD [--change ...]: imports the root fs tarball at PATH ("-":
# stdin) with the recipe label, then drops the image it replaces (when no container uses it).
import_as() {
  local image="$1" recipe="$2" source="$3" command="$4" old
  shift 4
  old="$(docker image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)"
  docker import --change "LABEL kawa.test.recipe=$recipe" --change "CMD $command" "$@" \
    "$source" "$image" >/dev/null
  [ -z "$old" ] || docker image rm "$old" >/dev/null 2>&1 || true
}

busybox_rootfs() {
  local root="$1" busybox
  busybox="$(command -v busybox)"
  mkdir -p "$root"/{bin,etc,root,tmp,proc,sys,dev,opt,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp "$busybox" "$root/bin/busybox"
  for applet in $("$busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

build_busybox() {
  local image=kawa-test/busybox:latest recipe root
  recipe="$(recipe_of busybox_rootfs)"
  [ "$(image_recipe "$image")" = "$recipe" ] && return 0
  root="$(mktemp -d)"
  scratch+=("$root")
  busybox_rootfs "$root"
  echo "building $image (recipe $recipe)" >&2
  tar -C "$root" -c . | import_as "$image" "$recipe" - '["/bin/sh"]' --change 'ENV PATH=/bin'
}

# The Debian archive this machine's apt uses (deb822 or one-line sources), so debootstrap
# reaches the same mirror; deb.debian.org when none names one.
debian_mirror() {
  local uri
  uri="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }')"
  if [ -z "$uri" ]; then
    uri="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:.*\/debian\/?$/) { print $i; exit } }')"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# Debian bookworm, minbase plus the OpenSSH server, trimmed: no apt lists or package cache, no
# docs, man pages or locales. The host keys made by openssh-server's install stay in the image,
# so a VPS recreated from it (kawa vps restart) keeps the host key its users already trust.
vps_rootfs() {
  local root="$1"
  debootstrap --variant=minbase --include=openssh-server bookworm "$root" "$(debian_mirror)" >&2
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/debconf/*-old \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/tmp/*
  # sshd's privilege separation dir: made by systemd at boot elsewhere, and no systemd runs here.
  mkdir -p "$root/run/sshd"
  chmod 0755 "$root/run/sshd"
}

build_vps() {
  local image=kawa-test/vps:latest recipe tarball root
  recipe="$(recipe_of vps_rootfs)"
  [ "$(image_recipe "$image")" = "$recipe" ] && return 0
  tarball="$cache_dir/vps-bookworm-$recipe.tar.gz"
  if [ ! -s "$tarball" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "Building $image needs root (debootstrap, chroot); run scripts/test-images.sh as root." >&2
      exit 1
    fi
    echo "building the root fs of $image with debootstrap (recipe $recipe; cached in $cache_dir)" >&2
    mkdir -p "$cache_dir"
    root="$(mktemp -d)"
    scratch+=("$root")
    vps_rootfs "$root"
    # Written aside and renamed, so an interrupted build never leaves a half tarball in the cache.
    tar -C "$root" -cz --numeric-owner . >"$tarball.partial"
    mv "$tarball.partial" "$tarball"
    # Tarballs of older recipes are never used again.
    find "$cache_dir" -maxdepth 1 -name 'vps-bookworm-*.tar.gz' ! -name "${tarball##*/}" -delete
  fi
  echo "importing $image from $tarball" >&2
  import_as "$image" "$recipe" "$tarball" '["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
}

build_busybox
build_vps
