#!/usr/bin/env bash
# Private networks, rootless, in one run:
#  1. start to exit of /bin/true in a cached busybox image with
#     `gun run --network private` against `podman run --network slirp4netns`
#     (podman 4.3, Debian 12, predates pasta support), interleaved
#     (hack/benchrun), with `gun run --network none` as the baseline
#     (RUNS=0 leaves it out);
#  2. loopback TCP throughput into a container through `gun run -p` against
#     pasta run by hand, with gun's own pasta options, on a namespace made
#     by unshare: the same path (pasta splices a connection from the host's
#     loopback to one on the namespace's loopback), the same receiver.
#     ROUNDS rounds of four transfers of MEGABYTES each (gun, hand, hand,
#     gun) to long-running receivers; medians of MB/s and of the rounds'
#     ratios.
#   hack/bench-network.sh [RUNS] [MEGABYTES] [ROUNDS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# Needs pasta (passt), podman, python3 and a /dev/net/tun the user can open.
# Targets (issue 13): gun-private/podman <= 0.5; gun -p >= 0.9 of pasta's.
set -euo pipefail
runs=${1:-50}
mb=${2:-4000}
rounds=${3:-5}
. "$(dirname "$0")/benchenv.sh"
bench_user "$@"
export XDG_RUNTIME_DIR=$work/xdg GUN_ROOT=$work/store
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
bash ./busybox.sh -t busybox.tar
./gun import busybox.tar busybox >/dev/null

if [ "$runs" -gt 0 ]; then
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
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Each receiver reads one connection to its end and closes, then listens
# again (busybox nc -l resets the connection when its stdin ends: the reader
# is -e's).
recv='while busybox nc -l -p 5001 -e busybox sh -c "busybox cat >/dev/null"; do :; done'
gun_port=$(free_port)
./gun run -p "127.0.0.1:$gun_port:5001" busybox sh -c "$recv" &
gun=$!
# As gun's: a pid namespace (--kill-child: the receiver ends with unshare,
# which ignores SIGTERM), and a session of its own. gun's init calls setsid,
# which puts the container in a scheduling group of its own where the
# kernel groups by session (kernel.sched_autogroup_enabled=1): a receiver in
# the script's session shares the CPU with the sender: two thirds as fast
# under load.
setsid unshare -Urnp --fork --kill-child busybox sh -c "ip link set lo up; $recv" &
ns=$!
stop() {
	kill -TERM "$gun" 2>/dev/null || true
	if [ -s "$work/pasta.pid" ]; then kill "$(cat "$work/pasta.pid")" 2>/dev/null || true; fi
	kill -KILL "$ns" 2>/dev/null || true
	wait 2>/dev/null || true
}
# benchenv.sh removes a work directory it made (GUN_BENCH_WORK unset).
trap 'stop; [ -n "${GUN_BENCH_WORK:-}" ] || rm -rf "$work"' EXIT
# gun's pasta, once it is there: its options for the pasta by hand.
for _ in $(seq 200); do
	pidfile=$(echo "$GUN_ROOT"/run/*/pasta.pid)
	[ -s "$pidfile" ] && break
	sleep 0.05
done
[ -s "$pidfile" ] || { echo "bench-network: gun's pasta did not start" >&2; exit 1; }
mapfile -d '' gun_pasta <"/proc/$(cat "$pidfile")/cmdline"
hand_port=$(free_port)
hand=(pasta)
for ((i = 1; i < ${#gun_pasta[@]} - 1; i++)); do
	a=${gun_pasta[i]}
	case ${gun_pasta[i - 1]} in
	-P) a=$work/pasta.pid ;;
	-t) a=${a//$gun_port/$hand_port} ;;
	esac
	hand+=("$a")
done
hand+=("$ns")
while [ "$(readlink "/proc/$ns/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done
echo "gun:     $work/gun run -p 127.0.0.1:$gun_port:5001 busybox sh -c '$recv'"
echo "         ${gun_pasta[*]}"
echo "by hand: setsid unshare -Urnp --fork --kill-child busybox sh -c 'ip link set lo up; $recv'"
echo "         ${hand[*]}"
"${hand[@]}"

python3 - "$mb" "$rounds" "gun run -p=$gun_port" "pasta by hand=$hand_port" <<-'EOF'
	import socket, statistics, sys, time
	mb, rounds = int(sys.argv[1]), int(sys.argv[2])
	(a, pa), (b, pb) = (x.rsplit("=", 1) for x in sys.argv[3:5])
	buf = b"\0" * (1 << 20)

	def connect(port):
	    # pasta accepts on the host before the container listens, and
	    # resets the connection when its own connect inside is refused:
	    # wait for a connection that stays up.
	    for _ in range(200):
	        s = socket.socket()
	        try:
	            s.connect(("127.0.0.1", port))
	            s.settimeout(0.2)
	            s.recv(1)
	        except socket.timeout:
	            s.settimeout(None)
	            return s
	        except OSError:
	            pass
	        s.close()
	        time.sleep(0.05)
	    sys.exit("no connection to 127.0.0.1:%d stayed up" % port)

	def send(port):
	    """MB/s of mb megabytes to port, once the receiver read them all."""
	    s = connect(int(port))
	    start = time.monotonic()
	    for _ in range(mb):
	        s.sendall(buf)
	    s.shutdown(socket.SHUT_WR)
	    s.recv(1)
	    s.close()
	    return mb / (time.monotonic() - start)

	got = {a: [], b: []}
	ratios = []
	print(f"{rounds} rounds of 4 transfers of {mb} MB ({a}, {b}, {b}, {a}), MB/s:")
	for r in range(rounds):
	    x1, y1, y2, x2 = send(pa), send(pb), send(pb), send(pa)
	    got[a] += [x1, x2]
	    got[b] += [y1, y2]
	    ratios.append((x1 + x2) / (y1 + y2))
	    print(f"  round {r + 1}: {a} {x1:.0f} {x2:.0f}, {b} {y1:.0f} {y2:.0f}, ratio {ratios[-1]:.2f}", flush=True)
	for n in (a, b):
	    v = got[n]
	    print(f"{n:<14} median {statistics.median(v):5.0f} MB/s  min {min(v):5.0f}  max {max(v):5.0f}")
	print(f"{a} / {b}: {statistics.median(got[a]) / statistics.median(got[b]):.2f} (medians), "
	      f"{statistics.median(ratios):.2f} (median of the rounds' ratios)")
	EOF
echo "target: gun run -p / pasta by hand >= 0.9"
