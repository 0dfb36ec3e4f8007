#!/usr/bin/env bash
# fuzz.sh — run every fuzz target (func FuzzXxx in a *_test.go) for a while.
#
# Environment:
#   FUZZTIME    time per target (default 10s; `make fuzz` uses 60s)
#   FUZZFILTER  extended regexp: only targets whose "pkg.FuzzName" matches
#   FUZZMINIMIZETIME  how long Go may minimise one input (default 5s; Go's
#               own default, 60s, let one new input of a slow target take
#               a whole 30s run: "0/sec" until the end)
# New crashers are written by Go under the package's testdata/fuzz/; commit
# them with the fix so they become regression tests. All targets run even
# after a failure; the exit status says whether any failed.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-10s}
minimize=${FUZZMINIMIZETIME:-5s}
targets=$(grep -rEo --include='*_test.go' \
	--exclude-dir=.git --exclude-dir=vendor --exclude-dir=node_modules --exclude-dir=testdata \
	'^func Fuzz[A-Za-z0-9_]*\(' . | sed -E 's/^(.*)\/[^/]*_test\.go:func (Fuzz[A-Za-z0-9_]*)\($/\1 \2/' | sort -u || true)

if [[ -z $targets ]]; then
	echo "fuzz.sh: no fuzz targets found"
	exit 0
fi

# corpus lists the inputs Go saved for target $2 of package dir $1.
corpus() { find "$1/testdata/fuzz/$2" -type f 2>/dev/null | sort; }

# fuzz_one fuzzes target $2 of package dir $1. Go 1.26's fuzz coordinator
# can fail a target with a bare "context deadline exceeded" at the end of
# -fuzztime when the machine is loaded: a race in Go itself
# (go.dev/issue/75804, fixed in Go 1.27), not an input of ours, and no
# input is saved. Such a failure is run once more; any other failure,
# or a saved input, fails the target.
fuzz_one() {
	local out before status
	local run=(go test -run='^$' -fuzz="^${2}\$" -fuzztime="$fuzztime" -fuzzminimizetime="$minimize" "$1")
	out=$(mktemp)
	before=$(corpus "$1" "$2")
	status=0
	"${run[@]}" </dev/null 2>&1 | tee "$out" || status=$?
	if ((status != 0)) && [[ $(corpus "$1" "$2") == "$before" ]] &&
		grep -q '^    context deadline exceeded$' "$out"; then
		echo "fuzz.sh: $2 stopped on Go's fuzztime deadline race (go.dev/issue/75804), no input saved: once more"
		status=0
		"${run[@]}" </dev/null || status=$?
	fi
	rm -f "$out"
	return "$status"
}

failed=()
n=0
while read -r dir name; do
	if [[ -n ${FUZZFILTER:-} ]] && ! [[ "$dir.$name" =~ $FUZZFILTER ]]; then
		continue
	fi
	n=$((n + 1))
	echo "=== fuzz $dir $name ($fuzztime)"
	if ! fuzz_one "$dir" "$name"; then
		failed+=("$dir $name")
	fi
done <<<"$targets"

if ((${#failed[@]})); then
	echo "fuzz.sh: ${#failed[@]} of $n targets FAILED:" >&2
	printf '  %s\n' "${failed[@]}" >&2
	exit 1
fi
echo "fuzz.sh: $n targets passed"
