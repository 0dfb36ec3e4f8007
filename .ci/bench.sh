#!/usr/bin/env bash
# bench.sh — the figures of docs/BENCHMARKS.md (`make bench`, `make bench-short`).
#
#   .ci/bench.sh full    every figure at full size, SQLite and PostgreSQL
#                        (a throwaway server from .ci/pg.sh when installed)
#   .ci/bench.sh short   small workloads, SQLite only (CI, under 2 minutes);
#                        exits 1 only when a ratio is 2× worse than the
#                        baseline .ci/bench-baseline.txt — never on an
#                        absolute time (shared machines drift 1.3–1.5×)
#
# Output: one line per figure,
#   BENCH <name> <value> <unit> limit=<value> ratio=<value> [target=…] [FAIL] [# note]
# where the limit is the bare cost of the unavoidable work measured in the
# same run (cmd/odnbench/floors.go).
#
# Environment: ODN_BENCH_PG (use this PostgreSQL admin DSN instead of
# starting one), BENCH_ONLY (regexp of figures to run), BENCH_OUT (also
# write the output to this file).
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-full}
case $mode in full|short) ;; *) echo "usage: $0 full|short" >&2; exit 2 ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odn-bench.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# The shipped binary (stripped, static) for binary_size, cold_start and idle_rss.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/odn" ./cmd/odn
go build -o "$tmp/odnbench" ./cmd/odnbench

args=(-bin "$tmp/odn" -only "${BENCH_ONLY:-}")
if [[ $mode == short ]]; then
	args+=(-short -baseline .ci/bench-baseline.txt -check)
else
	pg=${ODN_BENCH_PG:-}
	if [[ -z $pg ]] && .ci/pg.sh check; then
		ODN_PG_STATE=$tmp/pg.state
		export ODN_PG_STATE
		trap '.ci/pg.sh stop || true; cleanup' EXIT
		pg=$(.ci/pg.sh start)
		echo "bench.sh: throwaway PostgreSQL at $pg" >&2
	fi
	[[ -n $pg ]] && args+=(-pg "$pg")
	[[ -z $pg ]] && echo "bench.sh: PostgreSQL not installed: the _pg figures are skipped" >&2
fi

if [[ -n ${BENCH_OUT:-} ]]; then
	"$tmp/odnbench" "${args[@]}" | tee "$BENCH_OUT"
else
	"$tmp/odnbench" "${args[@]}"
fi
