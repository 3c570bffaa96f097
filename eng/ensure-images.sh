#!/usr/bin/env bash
# Creates the images the demo manifests and the tests use, from Debian's busybox-static.
# No registry is reachable, so `docker import` of a small root filesystem stands in for busybox:1.35.
set -euo pipefail
images=(busybox:1.35 busybox:latest)
missing=0
for image in "${images[@]}"; do
  docker image inspect "$image" >/dev/null 2>&1 || missing=1
done
[ "$missing" = 0 ] && exit 0

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,etc,tmp,root,var/www,home}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
for name in $(/bin/busybox --list); do
  [ "$name" = busybox ] && continue   # a link named busybox would overwrite the binary with itself
  ln -sf busybox "$root/bin/$name"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
id=$(tar -C "$root" -c . | docker import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["/bin/sh"]' - "${images[0]}")
for image in "${images[@]:1}"; do docker tag "${images[0]}" "$image"; done
echo "[ensure-images] made ${images[*]} (${id:7:12}) from busybox-static" >&2
