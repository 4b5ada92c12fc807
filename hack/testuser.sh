#!/usr/bin/env bash
# Creates the unprivileged user that gun's runtime tests run as, with its own
# /etc/subuid and /etc/subgid range. Run as root; safe to run again.
set -euo pipefail
user=${GUN_TEST_USER:-guntest}
start=${GUN_TEST_SUBID_START:-300000}
count=${GUN_TEST_SUBID_COUNT:-65536}
if [ "$(id -u)" -ne 0 ]; then
	echo "hack/testuser.sh: must run as root to create user $user" >&2
	exit 1
fi
if ! id "$user" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/sh "$user"
fi
# Give the user exactly one known range, whatever useradd allocated.
for f in /etc/subuid /etc/subgid; do
	touch "$f"
	sed -i "/^$user:/d" "$f"
	echo "$user:$start:$count" >>"$f"
done
echo "test user $user: uid $(id -u "$user"), subordinate ids $start-$((start + count - 1))"
