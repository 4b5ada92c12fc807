#!/usr/bin/env bash
# The README's quick start: on a fresh Debian machine, set up what gun needs,
# build gun, build examples/hello into an image and run it.
# As root it installs the Debian packages it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ]; then
	missing=()
	command -v newuidmap >/dev/null || missing+=(uidmap)
	# cgo, and glibc's static library for the static gun.
	command -v gcc >/dev/null || missing+=(gcc)
	[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || [ -e "/usr/lib/$(gcc -dumpmachine 2>/dev/null)/libc.a" ] || missing+=(libc6-dev)
	busybox_static=$(command -v busybox || true)
	if [ -z "$busybox_static" ] || ldd "$busybox_static" >/dev/null 2>&1; then missing+=(busybox-static); fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "+ apt-get install ${missing[*]}"
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
	# Images with several users need a subordinate id range for the user
	# that runs gun (useradd gives one to new users; root has none).
	for f in /etc/subuid /etc/subgid; do
		if ! grep -q "^root:" "$f" 2>/dev/null; then
			echo "+ echo root:1000000:65536 >> $f"
			echo "root:1000000:65536" >>"$f"
		fi
	done
fi
echo "+ make build"
make -s build
echo "+ testdata/rootfs/busybox.sh -t examples/hello/busybox.tar"
testdata/rootfs/busybox.sh -t examples/hello/busybox.tar
echo "+ gun check examples/hello/Gunfile"
bin/gun check examples/hello/Gunfile
echo "+ gun build -t hello examples/hello"
bin/gun build --progress plain -t hello examples/hello
echo "+ gun run hello"
bin/gun run hello
echo "+ gun run hello ls -l /app"
bin/gun run hello ls -l /app
