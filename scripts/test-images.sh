#!/usr/bin/env bash
# Builds the local images the Docker tests use. No registry is reachable here, so nothing is
# pulled: a busybox-static root fs is packed and `docker import`ed. An image is rebuilt only when
# its recipe (this file) changes; the recipe's hash is kept in the image's label.
set -euo pipefail

recipe="$(sha256sum "$0" | cut -c1-16)"
image=kawa-test/busybox:latest

current="$(docker image inspect --format '{{index .Config.Labels "kawa.test.recipe"}}' "$image" 2>/dev/null || true)"
[ "$current" = "$recipe" ] && exit 0

busybox="$(command -v busybox)"
root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,root,tmp,proc,sys,dev,opt,var/tmp}
chmod 1777 "$root/tmp" "$root/var/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

echo "building $image (recipe $recipe)" >&2
tar -C "$root" -c . | docker import \
  --change "LABEL kawa.test.recipe=$recipe" \
  --change 'ENV PATH=/bin' \
  --change 'CMD ["/bin/sh"]' \
  - "$image" >/dev/null
