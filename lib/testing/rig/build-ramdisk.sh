#!/usr/bin/env bash
# Builds Ingot's test deploy ramdisk: a Debian 12 kernel + a gzip initramfs that runs the real
# Ironic Python Agent (the vendored zed-eom source) with its Debian dependencies.
#
# Result: $INGOT_RIG_CACHE/ramdisk-<key>/{vmlinuz,initramfs.gz} (default cache /var/cache/ingot-rig),
# <key> = sha256 of the recipe (this script, ramdisk/*, the agent tarball). The debootstrapped root
# (the slow part) is cached too, keyed by the package list, as rootfs-<key>/. A run whose result
# exists prints its path and exits at once. Every stage builds in a temporary directory renamed
# into place when complete, so an interrupted run leaves nothing that a later run would trust.
#
# Usage: build-ramdisk.sh            (prints the result directory on its last line of stdout)
#        build-ramdisk.sh --key      (prints the cache key only)
# Needs root, debootstrap, cpio, gzip. Env: INGOT_RIG_CACHE, INGOT_RIG_MIRROR (Debian mirror URL).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RECIPE=$HERE/ramdisk
REPO=$(cd "$HERE/../../.." && pwd)
IPA_TARBALL=${INGOT_IPA_TARBALL:-$(cd "$REPO/.." && pwd)/shared/vendor/ironic-python-agent-zed-eom.tar.gz}
[ -f "$IPA_TARBALL" ] || IPA_TARBALL=/work/shared/vendor/ironic-python-agent-zed-eom.tar.gz
CACHE=${INGOT_RIG_CACHE:-/var/cache/ingot-rig}
IPA_VERSION=9.0.0

log() { printf '[build-ramdisk %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ -f "$IPA_TARBALL" ] || die "agent source not found: $IPA_TARBALL (set INGOT_IPA_TARBALL)"

recipe_key() {
  { sha256sum "$HERE/build-ramdisk.sh" "$RECIPE"/* | awk '{print $1}'; sha256sum "$IPA_TARBALL" | awk '{print $1}'; } \
    | sha256sum | cut -c1-16
}
packages() { grep -v '^\s*#' "$RECIPE/packages.txt" | grep -v '^\s*$'; }
rootfs_key() { { packages; echo "${MIRROR:-}"; } | sha256sum | cut -c1-16; }

KEY=$(recipe_key)
if [ "${1:-}" = "--key" ]; then echo "$KEY"; exit 0; fi
OUT=$CACHE/ramdisk-$KEY
if [ -s "$OUT/vmlinuz" ] && [ -s "$OUT/initramfs.gz" ]; then
  log "cached: $OUT"
  echo "$OUT"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot)"
for tool in debootstrap cpio gzip chroot; do command -v $tool >/dev/null || die "$tool is not installed"; done

# The Debian mirror apt on this machine already uses (so the build works where apt works).
mirror_from_apt() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${INGOT_RIG_MIRROR:-$(mirror_from_apt)}
mkdir -p "$CACHE"
# One build at a time per cache: a concurrent run waits, then finds the result cached.
exec 9>"$CACHE/.ramdisk.lock"
if ! flock -n 9; then log "another build is running; waiting for it"; flock 9; fi
if [ -s "$OUT/initramfs.gz" ]; then log "cached: $OUT"; echo "$OUT"; exit 0; fi
# Temporary directories of a build that was killed outright (no exit trap ran): undo its chroot
# mounts first, so that removing it cannot reach into the host's /dev.
for stale in "$CACHE"/.tmp-rootfs.* "$CACHE"/.tmp-ramdisk-*; do
  [ -d "$stale" ] || continue
  log "removing the leftovers of an interrupted build: $stale"
  awk -v p="$stale/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  rm -rf --one-file-system "$stale"
done

# Mounts made in a chroot, undone on any exit.
MOUNTS=()
TMPDIRS=()
CHILD=""
# Runs a long step in its own process group (in the background, so a TERM/INT reaches the trap at
# once), which an interrupted build then ends as a whole.
long() {
  setsid "$@" &
  CHILD=$!
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return $rc
}
cleanup() {
  set +e # remove everything even when one step fails
  local i
  if [ -n "$CHILD" ]; then
    # the whole group, and wait until every member is gone (they still write into the temp dir)
    kill -TERM -- "-$CHILD" 2>/dev/null
    for i in $(seq 1 50); do kill -0 -- "-$CHILD" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$CHILD" 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null || true; done
  for d in "${TMPDIRS[@]}"; do rm -rf --one-file-system "$d"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chroot_mount() {
  local root=$1
  mount -t proc proc "$root/proc" && MOUNTS+=("$root/proc")
  mount -t sysfs sysfs "$root/sys" && MOUNTS+=("$root/sys")
  mount --bind /dev "$root/dev" && MOUNTS+=("$root/dev")
  mount -t devpts devpts "$root/dev/pts" && MOUNTS+=("$root/dev/pts")
}
chroot_umount() {
  local root=$1 m kept=()
  for m in "$root/dev/pts" "$root/dev" "$root/sys" "$root/proc"; do umount "$m" 2>/dev/null || umount -l "$m"; done
  for m in "${MOUNTS[@]}"; do case $m in "$root"/*) ;; *) kept+=("$m") ;; esac; done
  MOUNTS=("${kept[@]}")
}

# ---- stage 1: the Debian root with every package (cached by package list + mirror) ----
ROOTFS=$CACHE/rootfs-$(rootfs_key)
if [ -x "$ROOTFS/usr/bin/python3" ] && [ -f "$ROOTFS/.ingot-complete" ]; then
  log "stage 1/3: Debian root cached: $ROOTFS"
else
  STAGE=$(mktemp -d "$CACHE/.tmp-rootfs.XXXXXX"); TMPDIRS+=("$STAGE")
  log "stage 1/3: debootstrap bookworm (minbase) from $MIRROR (~2 min)"
  long debootstrap --variant=minbase bookworm "$STAGE/root" "$MIRROR" >"$STAGE/debootstrap.log" 2>&1 \
    || { tail -20 "$STAGE/debootstrap.log" >&2; die "debootstrap failed (log above)"; }
  R=$STAGE/root
  echo "deb $MIRROR bookworm main" >"$R/etc/apt/sources.list"
  cp /etc/resolv.conf "$R/etc/resolv.conf"
  # No services started and no initramfs generated inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
  chroot "$R" dpkg-divert --local --rename --add /usr/sbin/update-initramfs >/dev/null
  ln -sf /bin/true "$R/usr/sbin/update-initramfs"
  chroot_mount "$R"
  log "stage 1/3: apt-get install $(packages | wc -l) packages (~3-5 min)"
  long chroot "$R" env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get update -q >"$STAGE/apt.log" 2>&1 \
    || { tail -20 "$STAGE/apt.log" >&2; die "apt-get update failed"; }
  # shellcheck disable=SC2046
  long chroot "$R" env DEBIAN_FRONTEND=noninteractive INITRD=No apt-get install -y -q --no-install-recommends $(packages) \
    >>"$STAGE/apt.log" 2>&1 || { tail -30 "$STAGE/apt.log" >&2; die "apt-get install failed"; }
  chroot "$R" apt-get clean
  chroot_umount "$R"
  rm -f "$R/usr/sbin/policy-rc.d"
  touch "$R/.ingot-complete"
  rm -rf "$ROOTFS"
  mv "$R" "$ROOTFS"
  log "stage 1/3: Debian root ready: $ROOTFS ($(du -sh "$ROOTFS" | cut -f1))"
fi

# ---- stage 2: a copy of the root with the agent added and the bulk removed ----
STAGE=$(mktemp -d "$CACHE/.tmp-ramdisk-$KEY.XXXXXX"); TMPDIRS+=("$STAGE")
R=$STAGE/root
log "stage 2/3: copying the root, adding the agent, stripping"
long cp -a "$ROOTFS" "$R"
rm -f "$R/.ingot-complete"

# The agent, installed as pip would have: the package plus a dist-info with its entry points
# (stevedore finds the extensions and hardware managers through them).
SITE=$R/usr/lib/python3/dist-packages
tar -xzf "$IPA_TARBALL" -C "$STAGE"
IPA_SRC=$(find "$STAGE" -maxdepth 2 -name setup.cfg -path '*ironic-python-agent*' -printf '%h\n' | head -1)
[ -n "$IPA_SRC" ] || die "no setup.cfg in $IPA_TARBALL"
cp -a "$IPA_SRC/ironic_python_agent" "$SITE/"
rm -rf "$SITE/ironic_python_agent/tests"
DIST=$SITE/ironic_python_agent-$IPA_VERSION.dist-info
mkdir -p "$DIST"
printf 'Metadata-Version: 2.1\nName: ironic-python-agent\nVersion: %s\n' "$IPA_VERSION" >"$DIST/METADATA"
# [entry_points] of setup.cfg ("group =" then indented "name = target" lines) -> entry_points.txt
awk '
  /^\[/ { inside = ($0 == "[entry_points]"); next }
  !inside || /^[[:space:]]*$/ { next }
  /^[^[:space:]].*=[[:space:]]*$/ { sub(/[[:space:]]*=[[:space:]]*$/, ""); printf "\n[%s]\n", $0; next }
  /^[[:space:]]/ { sub(/^[[:space:]]+/, ""); print }
' "$IPA_SRC/setup.cfg" >"$DIST/entry_points.txt"
grep -q '^\[ironic_python_agent.extensions\]' "$DIST/entry_points.txt" || die "entry points not found in setup.cfg"
echo ironic_python_agent >"$DIST/top_level.txt"
# Byte-compile now: under emulation compiling at every start costs tens of seconds.
chroot "$R" python3 -m compileall -q /usr/lib/python3/dist-packages/ironic_python_agent >/dev/null

install -m 0755 "$RECIPE/init" "$R/init"
install -D -m 0755 "$RECIPE/udhcpc.script" "$R/etc/ingot/udhcpc.script"
install -D -m 0644 "$RECIPE/agent.conf" "$R/etc/ironic-python-agent/agent.conf"
echo ingot-ramdisk >"$R/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 ingot-ramdisk\n' >"$R/etc/hosts"
: >"$R/etc/resolv.conf"
chroot "$R" busybox udhcpc --help >/dev/null 2>&1 || chroot "$R" busybox --list | grep -qx udhcpc || die "busybox in the ramdisk has no udhcpc"

# The kernel goes beside the initramfs, not in it.
KVER=$(basename "$(ls -d "$R"/lib/modules/* | sort -V | tail -1)")
cp "$R/boot/vmlinuz-$KVER" "$STAGE/vmlinuz"
rm -rf "$R/boot"/* "$R/vmlinuz"* "$R/initrd.img"*
# Documentation, translations, caches, firmware and driver classes a deploy never needs.
rm -rf "$R"/usr/share/{doc,man,info,locale,lintian,linda,bug,common-licenses} "$R"/usr/share/i18n/locales \
  "$R"/var/cache/apt/* "$R"/var/lib/apt/lists/* "$R"/var/cache/debconf/*-old "$R"/var/log/* \
  "$R"/lib/firmware "$R"/usr/lib/firmware
MODS=$R/lib/modules/$KVER/kernel
rm -rf "$MODS"/sound "$MODS"/drivers/{gpu,media,sound,staging,infiniband,bluetooth,isdn,iio,input/joystick,input/touchscreen,input/tablet,input/misc,hwmon,video,usb/gadget,hid,net/wireless,net/can,net/usb,nfc,mmc,memstick,leds,watchdog,w1,comedi,platform/chrome,platform/surface,thunderbolt,fpga,mtd,atm,pcmcia} \
  "$MODS"/net/{wireless,bluetooth,mac80211,can,nfc,6lowpan,ieee802154,atm,sunrpc,ceph,rxrpc,tipc,rds,sctp,dccp,batman-adv,mpls,openvswitch,netfilter} \
  "$MODS"/fs/{nfs,nfsd,ceph,cifs,smb,ocfs2,gfs2,xfs,btrfs,f2fs,jfs,nilfs2,ubifs,orangefs,afs,coda,9p,ntfs3,ntfs,reiserfs,hfs,hfsplus,udf,erofs,squashfs}
# The rig's VMs have virtio (and QEMU's e1000) NICs: of the Ethernet drivers keep Intel's only; no Fibre Channel HBAs.
find "$MODS/drivers/net/ethernet" -mindepth 1 -maxdepth 1 ! -name intel -exec rm -rf {} +
rm -rf "$MODS"/drivers/scsi/{lpfc,qla2xxx,qla4xxx,bfa,bnx2fc,bnx2i,be2iscsi,qedf,qedi,csiostor,cxgbi,fcoe,fnic,snic,libfc,elx,mpi3mr}
# Babel's locale data: English and the root locale are all the agent's logging needs.
find "$R/usr/share/python-babel-localedata/locale-data" -name '*.dat' ! -name 'en.dat' ! -name 'en_*.dat' ! -name 'root.dat' -delete 2>/dev/null || true
chroot "$R" depmod -a "$KVER"
find "$R/usr" -name '*.a' -delete

# ---- stage 3: pack ----
log "stage 3/3: packing the initramfs (root is $(du -sh "$R" | cut -f1))"
long bash -c 'cd "$1" && find . -xdev -print0 | cpio --null -o -H newc --quiet | gzip -1 >"$2"' pack "$R" "$STAGE/initramfs.gz"
mkdir -p "$STAGE/result"
mv "$STAGE/vmlinuz" "$STAGE/initramfs.gz" "$STAGE/result/"
echo "$KVER" >"$STAGE/result/kernel-version"
rm -rf "$OUT"
mv "$STAGE/result" "$OUT"
log "done: $OUT (kernel $KVER, initramfs $(du -h "$OUT/initramfs.gz" | cut -f1))"
echo "$OUT"
