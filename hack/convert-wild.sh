#!/usr/bin/env bash
# Converts every Dockerfile in DIR with gun convert, checks each Gunfile
# written with gun check and gun fmt --check, and tabulates the outcomes
# (issue 15's round trip: no check error, fmt leaves it unchanged) and the
# diagnostics by code. The Dockerfiles are others' (docs/gunfile.md,
# "Real Dockerfiles", names the repositories): gather them outside the
# repository.
#   hack/convert-wild.sh GUN DIR OUT    (OUT: the Gunfiles and reports)
# Outcomes: exitN (gun convert's status), +checkerr (gun check fails the
# Gunfile), +fmtunstable (gun fmt would change it), error (nothing
# written: a Dockerfile Docker would not build), crash.
set -u
gun=$1 dir=$2 out=$3
rm -rf "$out" && mkdir -p "$out"/g "$out"/d "$out"/c
for f in "$dir"/*; do
	b=$(basename "$f")
	"$gun" convert -o "$out/g/$b.gunfile" "$f" 2>"$out/d/$b.txt"
	rc=$?
	if [ $rc -gt 1 ] || grep -q -e '^panic:' -e '^goroutine ' "$out/d/$b.txt"; then
		o=crash
	elif [ ! -s "$out/g/$b.gunfile" ]; then
		o=error
	else
		o=exit$rc
		"$gun" check "$out/g/$b.gunfile" >"$out/c/$b.txt" 2>&1 || o=$o+checkerr
		"$gun" fmt --check "$out/g/$b.gunfile" >/dev/null 2>&1 || o=$o+fmtunstable
	fi
	echo "$o $b"
done >"$out/outcomes.txt"
echo "files: $(wc -l <"$out/outcomes.txt")"
echo "## outcomes"
awk '{print $1}' "$out/outcomes.txt" | sort | uniq -c | sort -rn
echo "## gun convert's diagnostics by code"
cat "$out"/d/*.txt | grep -oE '\[D[0-9]+\]$' | sort | uniq -c | sort -rn
echo "## gun check's diagnostics of the Gunfiles written, by code"
cat "$out"/c/*.txt | grep -oE ': (error|warning|info): .*\[G[0-9]+\]$' |
	sed -E 's/^: ([a-z]+): .*\[(G[0-9]+)\]$/\1 \2/' | sort | uniq -c | sort -rn
