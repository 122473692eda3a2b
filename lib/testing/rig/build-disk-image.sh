#!/usr/bin/env bash
# Builds Ingot's tiny test whole-disk image: 64 MiB, a DOS label with one bootable ext4 partition
# holding the Debian 12 kernel and a busybox-static initramfs whose /init prints
# "INGOT-IMAGE-BOOTED <id> ..." on ttyS0 and then runs a shell there; extlinux + syslinux's mbr.bin
# make it boot on a BIOS machine.
#
# Result: $INGOT_RIG_CACHE/disk-image-<key>/{disk.raw,disk.qcow2} with .sha256 and .md5 files beside
# them (default cache /var/cache/ingot-rig; <key> = sha256 of this script and disk-image/*).
# A run whose result exists prints its path and exits at once; the build happens in a temporary
# directory renamed into place when complete.
#
# Usage: build-disk-image.sh   (prints the result directory on its last line of stdout)
# Needs root (loop mount for extlinux), busybox-static, extlinux, syslinux-common, fdisk, qemu-utils,
# e2fsprogs, cpio, and apt (downloads the Debian kernel package).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RECIPE=$HERE/disk-image
CACHE=${INGOT_RIG_CACHE:-/var/cache/ingot-rig}
SIZE_MIB=64
PART_START=2048 # sectors (1 MiB)

log() { printf '[build-disk-image %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

KEY=$(sha256sum "$HERE/build-disk-image.sh" "$RECIPE"/* | awk '{print $1}' | sha256sum | cut -c1-16)
OUT=$CACHE/disk-image-$KEY
if [ -s "$OUT/disk.raw" ] && [ -s "$OUT/disk.qcow2" ] && [ -s "$OUT/disk.qcow2.sha256" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (loop mount for extlinux)"
BUSYBOX=/bin/busybox
MBR=/usr/lib/syslinux/mbr/mbr.bin
[ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 || die "$BUSYBOX is not a static busybox (apt-get install busybox-static)"
[ -f "$MBR" ] || die "$MBR missing (apt-get install syslinux-common)"
for tool in extlinux sfdisk mkfs.ext4 losetup qemu-img cpio apt-get; do command -v $tool >/dev/null || die "$tool is not installed"; done

mkdir -p "$CACHE"
# One build at a time per cache: a concurrent run waits, then finds the result cached.
exec 9>"$CACHE/.disk-image.lock"
if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
if [ -s "$OUT/disk.qcow2.sha256" ]; then log "cached: $OUT"; echo "$OUT"; exit 0; fi
# Leftovers of a build killed outright (no exit trap ran): its mount and loop device first.
for stale in "$CACHE"/.tmp-disk-image-*; do
  [ -d "$stale" ] || continue
  log "removing the leftovers of an interrupted build: $stale"
  awk -v p="$stale/" 'index($2, p) == 1 {print $2}' /proc/mounts | while read -r m; do umount -l "$m"; done
  losetup -j "$stale/disk.raw" -O NAME -n 2>/dev/null | while read -r dev; do losetup -d "$dev"; done
  rm -rf --one-file-system "$stale"
done
STAGE=$(mktemp -d "$CACHE/.tmp-disk-image-$KEY.XXXXXX")
MNT=""
LOOP=""
cleanup() {
  set +e # remove everything even when one step fails
  [ -n "$MNT" ] && umount "$MNT" 2>/dev/null
  [ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
  rm -rf --one-file-system "$STAGE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The Debian 12 kernel, from its package (no need for it to be installed here).
log "downloading the Debian kernel package"
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$KPKG" ] || die "apt does not know linux-image-amd64 (apt-get update?)"
(cd "$STAGE" && apt-get download -q "$KPKG" >/dev/null 2>&1) || die "apt-get download $KPKG failed"
dpkg-deb -x "$STAGE"/"$KPKG"_*.deb "$STAGE/kernel"
KVER=${KPKG#linux-image-}

log "building the busybox initramfs"
IMAGE_ID="ingot-rig-image-$KEY"
I=$STAGE/initramfs
mkdir -p "$I"/{bin,dev,proc,sys,etc,tmp,root}
cp "$BUSYBOX" "$I/bin/busybox"
install -m 0755 "$RECIPE/init" "$I/init"
echo "$IMAGE_ID" >"$I/etc/ingot-image-id"
(cd "$I" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -9 >"$STAGE/initrd.gz"

log "partitioning and formatting ${SIZE_MIB} MiB"
RAW=$STAGE/disk.raw
truncate -s ${SIZE_MIB}M "$RAW"
printf 'label: dos\nstart=%s, type=83, bootable\n' "$PART_START" | sfdisk -q "$RAW"
dd if="$MBR" of="$RAW" bs=440 count=1 conv=notrunc status=none
PART_BYTES=$(( (SIZE_MIB * 1024 * 1024) - PART_START * 512 ))
# Without udev, loop partitions get no device nodes: a loop device over the partition's range.
LOOP=$(losetup --find --show --offset $((PART_START * 512)) --sizelimit $PART_BYTES "$RAW")
# extlinux reads ext4 without 64bit and metadata checksums
mkfs.ext4 -q -L ingot-image -O ^64bit,^metadata_csum "$LOOP"
MNT=$STAGE/mnt
mkdir -p "$MNT"
mount "$LOOP" "$MNT"
mkdir -p "$MNT/boot/extlinux"
cp "$STAGE/kernel/boot/vmlinuz-$KVER" "$MNT/boot/vmlinuz"
cp "$STAGE/initrd.gz" "$MNT/boot/initrd.gz"
cp "$RECIPE/extlinux.conf" "$MNT/boot/extlinux/extlinux.conf"
extlinux --install "$MNT/boot/extlinux" >/dev/null 2>&1 || die "extlinux --install failed"
umount "$MNT"; MNT=""
losetup -d "$LOOP"; LOOP=""

log "converting to qcow2, checksums"
qemu-img convert -c -f raw -O qcow2 "$RAW" "$STAGE/disk.qcow2"
for f in disk.raw disk.qcow2; do
  (cd "$STAGE" && sha256sum "$f" | cut -d' ' -f1 >"$f.sha256" && md5sum "$f" | cut -d' ' -f1 >"$f.md5")
done
echo "$IMAGE_ID" >"$STAGE/image-id"
mkdir -p "$STAGE/result"
mv "$STAGE"/disk.* "$STAGE/image-id" "$STAGE/result/"
rm -rf "$OUT"
mv "$STAGE/result" "$OUT"
log "done: $OUT (id $IMAGE_ID, kernel $KVER, qcow2 $(du -h "$OUT/disk.qcow2" | cut -f1))"
echo "$OUT"
