#!/usr/bin/env bash
# Makes a tiny root filesystem from Debian's busybox-static, for tests.
#   testdata/rootfs/busybox.sh DIR          a directory tree
#   testdata/rootfs/busybox.sh -t FILE.tar  the same tree as a tar archive (owners 0:0)
# The tree has /bin/busybox with a link per applet, /etc/passwd and /etc/group
# with root, a user "app" (1000:1000) and nobody, and /tmp with mode 1777.
set -euo pipefail
tarball=
if [ "${1:-}" = "-t" ]; then
	tarball=$2
	dir=$(mktemp -d)
	trap 'rm -rf "$dir"' EXIT
else
	dir=${1:?usage: busybox.sh DIR | -t FILE.tar}
fi
bb=$(command -v busybox || true)
# ldd fails on a static binary: that is what we want.
if [ -z "$bb" ] || ldd "$bb" >/dev/null 2>&1; then
	echo "busybox.sh: need a static busybox (Debian package busybox-static)" >&2
	exit 1
fi
chmod 0755 "$dir" 2>/dev/null || true
mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,home/app,proc,sys,dev,var/tmp}
chmod 1777 "$dir/tmp" "$dir/var/tmp"
chmod 0700 "$dir/root"
cp "$bb" "$dir/bin/busybox"
for applet in $("$bb" --list-full); do
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$dir/$(dirname "$applet")"
	ln -sf /bin/busybox "$dir/$applet"
done
cat >"$dir/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat >"$dir/etc/group" <<'G'
root:x:0:
app:x:1000:
nogroup:x:65534:
G
echo guntainer >"$dir/etc/hostname"
if [ -n "$tarball" ]; then
	# Owners as the container sees them: root, and app for its home.
	tar --numeric-owner --owner=0 --group=0 --sort=name -C "$dir" -cf "$tarball" .
fi
