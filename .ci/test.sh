#!/usr/bin/env bash
# test.sh — what `make test` runs: go vet, then every test, with a throwaway
# PostgreSQL server so the store suite runs on both dialects.
#
# Environment:
#   ODN_TEST_PG      use this server instead of starting one
#                    (postgres://USER@HOST:PORT/DB?sslmode=disable; the role
#                    must be allowed to CREATE DATABASE)
#   ODN_TEST_STRICT  1: skipping the PostgreSQL or browser suites is a failure
#   GOTESTFLAGS      extra `go test` flags, e.g. "-race" or "-short -v"
#   GOTESTTIMEOUT    per-binary `go test` timeout (default 20m)
#   GOTESTPKGS       packages to test (default ./...)
set -euo pipefail
cd "$(dirname "$0")/.."

strict=${ODN_TEST_STRICT:-}
[[ $strict == 0 || $strict == false ]] && strict=

if [[ -z ${ODN_TEST_PG:-} ]]; then
	if .ci/pg.sh check; then
		# A private state file: never share (or stop) a server someone
		# started by hand with .ci/pg.sh start.
		ODN_PG_STATE=$(mktemp "${TMPDIR:-/tmp}/odn-test-pg.XXXXXX")
		export ODN_PG_STATE
		trap '.ci/pg.sh stop; rm -f "$ODN_PG_STATE"' EXIT
		trap 'exit 130' INT TERM
		ODN_TEST_PG=$(.ci/pg.sh start)
		export ODN_TEST_PG
		echo "test.sh: throwaway PostgreSQL at $ODN_TEST_PG" >&2
	else
		{
			echo "##################################################################"
			echo "## PostgreSQL not installed: PostgreSQL store tests will be SKIPPED"
			echo "## (apt-get install postgresql, or set ODN_TEST_PG=postgres://...)"
			echo "##################################################################"
		} >&2
		[[ -n $strict ]] && { echo "test.sh: ODN_TEST_STRICT is set: failing" >&2; exit 1; }
	fi
else
	echo "test.sh: using ODN_TEST_PG from the environment" >&2
fi

pkgs=${GOTESTPKGS:-./...}
# shellcheck disable=SC2086 # word splitting of the flag and package lists is wanted
go vet $pkgs
# shellcheck disable=SC2086
go test -count=1 -timeout "${GOTESTTIMEOUT:-20m}" ${GOTESTFLAGS:-} $pkgs
