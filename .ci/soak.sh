#!/usr/bin/env bash
# soak.sh — mixed traffic against the odn binary (`make soak`): browsing,
# API votes, comments and signed inbox POSTs from 3 peers, with RSS, heap
# and goroutines sampled. Fails on a growth trend or on any error other
# than a rate limit (429).
#
# Environment: SOAK (duration, default 10m; CI runs 60s).
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/odn-soak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/odn" ./cmd/odn
go build -o "$tmp/odnbench" ./cmd/odnbench
"$tmp/odnbench" -soak "${SOAK:-10m}" -bin "$tmp/odn"
