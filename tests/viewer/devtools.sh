#!/usr/bin/env bash
# tests/viewer/devtools.sh - an offline check of traces in a real viewer's
# model: Chrome DevTools' Performance panel trace engine (npm
# @paulirish/trace_engine, installed into a scratch directory) must bind
# every dependency arrow of a pto trace to its two task slices.  Not part of
# `make check` (it needs node, npm and the npm registry); run by hand:
#
#	tests/viewer/devtools.sh [BUILD]      (default build)
set -u
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
command -v node >/dev/null && command -v npm >/dev/null ||
	{ echo "devtools.sh: SKIPPED: node and npm are needed (apt-get install nodejs npm)"; exit 77; }
T=$(mktemp -d /tmp/pto-viewer.XXXXXX) && trap 'rm -rf "$T"' EXIT
(cd "$T" && npm install --silent --no-audit --no-fund @paulirish/trace_engine@0.0.65 >/dev/null) ||
	{ echo "devtools.sh: FAIL: npm install @paulirish/trace_engine"; exit 1; }
cp "$here/devtools-flows.mjs" "$T/"
rc=0
"$B/bin/pto-run" vector_example_manual --trace "$T/manual.json" >/dev/null 2>&1 || rc=1
"$B/bin/pto-bench" --trace "$T/stencil.json" --shape stencil --tasks 64 --width 16 --grain 2000 \
	>/dev/null 2>&1 || rc=1
for f in "$T/manual.json" "$T/stencil.json"; do
	(cd "$T" && node devtools-flows.mjs "$f") || rc=1
done
[ $rc -eq 0 ] && echo "devtools.sh: PASS" || echo "devtools.sh: FAIL"
exit $rc
