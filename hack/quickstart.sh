#!/usr/bin/env bash
# The README's quick start: on a fresh Debian machine, set up what gun needs,
# build gun, build examples/hello into an image and run it; then start a
# registry of its own on 127.0.0.1 (Debian's docker-registry), push the base
# there, build on that registry image and push the result.
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
	command -v docker-registry >/dev/null || missing+=(docker-registry)
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

# The same base from a registry: one of the quick start's own, on loopback.
if ! command -v docker-registry >/dev/null; then
	echo "(docker-registry is not installed: apt-get install docker-registry for the registry part)"
	exit 0
fi
port=${QUICKSTART_REGISTRY_PORT:-5000}
reg=127.0.0.1:$port
dir=$(mktemp -d)
trap 'kill "$regpid" 2>/dev/null; rm -rf "$dir"' EXIT
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' "$dir/data" "$reg" >"$dir/config.yml"
echo "+ docker-registry serve (on $reg)"
docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
regpid=$!
for _ in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
echo "+ gun import examples/hello/busybox.tar busybox && gun push busybox $reg/library/busybox:1"
bin/gun import examples/hello/busybox.tar busybox >/dev/null
bin/gun push --progress quiet busybox "$reg/library/busybox:1"
echo "+ gun build --pull --arg BASE=$reg/library/busybox:1 -t $reg/demo/hello:1 --push examples/hello"
bin/gun build --progress plain --pull --arg "BASE=$reg/library/busybox:1" -t "$reg/demo/hello:1" --push examples/hello
echo "+ gun run $reg/demo/hello:1"
bin/gun run "$reg/demo/hello:1"
