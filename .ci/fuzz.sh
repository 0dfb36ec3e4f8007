#!/usr/bin/env bash
# fuzz.sh — run every fuzz target (func FuzzXxx in a *_test.go) for a while.
#
# Environment:
#   FUZZTIME    time per target (default 10s; `make fuzz` uses 60s)
#   FUZZFILTER  extended regexp: only targets whose "pkg.FuzzName" matches
# New crashers are written by Go under the package's testdata/fuzz/; commit
# them with the fix so they become regression tests. All targets run even
# after a failure; the exit status says whether any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
targets=$(grep -rEo --include='*_test.go' \
	--exclude-dir=.git --exclude-dir=vendor --exclude-dir=node_modules --exclude-dir=testdata \
	'^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's/^(.*)\/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($/\1 \2/' | sort -u || true)

if [[ -z $targets ]]; then
	echo "fuzz.sh: no fuzz targets found"
	exit 0
fi

failed=()
n=0
while read -r dir name; do
	if [[ -n ${FUZZFILTER:-} ]] && ! [[ "$dir.$name" =~ $FUZZFILTER ]]; then
		continue
	fi
	n=$((n + 1))
	echo "=== fuzz $dir $name ($fuzztime)"
	if ! go test -run='^$' -fuzz="^${name}\$" -fuzztime="$fuzztime" "$dir" </dev/null; then
		failed+=("$dir $name")
	fi
done <<<"$targets"

if ((${#failed[@]})); then
	echo "fuzz.sh: ${#failed[@]} of $n targets FAILED:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: $n targets passed"
