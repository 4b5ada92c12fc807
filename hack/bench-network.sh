#!/usr/bin/env bash
# Private networks, rootless, in one run:
#  1. start to exit of /bin/true in a cached busybox image with
#     `gun run --network private` against `podman run --network slirp4netns`
#     (podman 4.3, Debian 12, predates pasta support), interleaved
#     (hack/benchrun), with `gun run --network none` as the baseline;
#  2. loopback TCP throughput into a container through `gun run -p` against
#     pasta run by hand on a plain network namespace (the same pasta).
#   hack/bench-network.sh [RUNS] [MEGABYTES]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# Needs pasta (passt), podman, python3 and a /dev/net/tun the user can open.
# Targets (issue 13): gun-private/podman <= 0.5; gun -p >= 0.9 of pasta's.
set -euo pipefail
runs=${1:-50}
mb=${2:-2000}
. "$(dirname "$0")/benchenv.sh" "$@"
export XDG_RUNTIME_DIR=$work/xdg GUN_ROOT=$work/store
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
bash ./busybox.sh -t busybox.tar
./gun import busybox.tar busybox >/dev/null
podman import -q busybox.tar localhost/busybox >/dev/null

gun_private="$work/gun run --network private busybox /bin/true"
gun_none="$work/gun run --network none busybox /bin/true"
# crun refuses a cgroup v1 host with a v2 unified mount ("hybrid mode"), as
# Debian 12 with systemd has it; runc with cgroupfs takes it.
podman_slirp="podman run --rm --runtime runc --cgroup-manager cgroupfs --network slirp4netns localhost/busybox /bin/true"
for c in "$gun_private" "$gun_none" "$podman_slirp"; do
	$c </dev/null >/dev/null || { echo "bench-network: failed: $c" >&2; exit 1; }
done
"$work/benchrun" -runs "$runs" -ratios gun-private/podman-slirp4netns,gun-private/gun-none \
	"gun-private=$gun_private" "gun-none=$gun_none" "podman-slirp4netns=$podman_slirp"
echo "target: gun-private/podman-slirp4netns <= 0.5"

# send PORT: MEGABYTES to 127.0.0.1:PORT; prints MB/s once the receiver
# read it all and closed.
send() {
	python3 - "$1" "$mb" <<-'EOF'
	import socket, sys, time
	port, mb = int(sys.argv[1]), int(sys.argv[2])
	buf = b"\0" * (1 << 20)
	# pasta accepts on the host before the container listens, and resets
	# the connection when its own connect inside is refused: wait for a
	# connection that stays up.
	for _ in range(200):
	    s = socket.socket()
	    try:
	        s.connect(("127.0.0.1", port))
	        s.settimeout(0.2)
	        s.recv(1)
	    except socket.timeout:
	        s.settimeout(None)
	        break
	    except OSError:
	        pass
	    s.close()
	    time.sleep(0.05)
	else:
	    sys.exit("no connection to 127.0.0.1:%d stayed up" % port)
	start = time.monotonic()
	for _ in range(mb):
	    s.sendall(buf)
	s.shutdown(socket.SHUT_WR)
	s.recv(1)
	print(f"{mb / (time.monotonic() - start):.0f} MB/s")
	EOF
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
# busybox nc -l resets the connection when its stdin ends: the reader is -e's.
./gun run -p "127.0.0.1:$port:5001" busybox nc -l -p 5001 -e sh -c 'cat >/dev/null' &
gun=$!
printf 'gun run -p:      '
send "$port"
kill -TERM "$gun"
wait "$gun" || true

port=$(free_port)
unshare -Urn sh -c 'ip link set lo up; exec busybox nc -l -p 5001 -e sh -c "cat >/dev/null"' &
ns=$!
sleep 0.2
pasta --config-net --quiet --no-map-gw -T none -U none -u none -t "127.0.0.1/$port:5001" \
	-P "$work/pasta.pid" "$ns"
printf 'pasta by hand:   '
send "$port"
kill "$ns" "$(cat "$work/pasta.pid")" 2>/dev/null || true
wait "$ns" || true
echo "target: gun -p >= 0.9 of pasta by hand"
