#!/usr/bin/env bash
# layers.sh - libpto's runtime calls only down its layers, and no files call
# each other in a loop.
#
# From the object files of $PTO_BUILD (nm: each file's defined and undefined
# symbols), every call or data reference from one file of the layered
# folders to another is an edge.  The layers, lowest first:
#
#	core/     the run state: slots, readiness, release, retirement, wake-ups, error latch
#	sched/    the scheduler threads
#	wiring/   linking tasks onto producers; the wiring thread
#	orch/     the orchestrator
#	runtime/  the runtime shell (create, run, destroy)
#
# A file may use its own layer or a lower one (util/, ring/, device/, trace/,
# gate/ are below them all and not checked here), never a higher one; and the
# edges between the files of these folders must not close a loop (tsort).
# docs/runtime.md, "Layers", says why.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/common.bash layers
obj=$B/obj/libpto
layers="core sched wiring orch runtime"
nm=${NM:-nm}

rank() {
	local i=1 l
	for l in $layers; do
		[ "$l" = "$1" ] && { echo "$i"; return; }
		i=$((i + 1))
	done
	echo 0
}

# defined symbols: "symbol file"; undefined: "file symbol"
: >"$T/def"
: >"$T/und"
missing=0
# the sources decide which objects count: a stale object of a file that
# was moved or removed stays in an old build directory
for l in $layers; do
	set -- libpto/"$l"/*.c
	if [ ! -e "$1" ]; then
		bad "no sources in libpto/$l"
		missing=1
		continue
	fi
	for c in "$@"; do
		f=$l/$(basename "$c")
		o=$obj/${f%.c}.o
		if [ ! -f "$o" ]; then
			bad "$o not built"
			missing=1
			continue
		fi
		"$nm" "$o" | awk -v f="$f" -v D="$T/def" -v U="$T/und" '
			$1 == "U" { print f, $2 >> U; next }
			NF == 3 && $2 ~ /^[TDBRCGSV]$/ { print $3, f >> D }'
	done
done
[ "$missing" -eq 0 ] && ok "every source of $layers has its object file"

# edges "caller callee symbol", each file pair once per symbol
sort -u "$T/def" >"$T/def.s"
awk 'NR == FNR { def[$1] = $2; next } ($2 in def) && def[$2] != $1 { print $1, def[$2], $2 }' \
	"$T/def.s" "$T/und" | sort -u >"$T/edges"
[ -s "$T/edges" ] && ok "found $(wc -l <"$T/edges") cross-file references" ||
	bad "no cross-file references found (nm output changed?)"

for l in $layers; do
	r=$(rank "$l")
	up=$(while read -r a b s; do
		[ "${a%%/*}" = "$l" ] || continue
		[ "$(rank "${b%%/*}")" -gt "$r" ] && echo "$a -> $b ($s)"
	done <"$T/edges")
	if [ -z "$up" ]; then
		ok "$l/ calls only its own or lower layers"
	else
		bad "$l/ calls up:"
		echo "$up" | sed 's/^/      | /'
	fi
done

awk '{ print $1, $2 }' "$T/edges" | sort -u >"$T/pairs"
if tsort "$T/pairs" >/dev/null 2>"$T/loop"; then
	ok "no files of $layers call each other in a loop"
else
	bad "files call each other in a loop:"
	sed 's/^/      | /' "$T/loop" | head -20
fi
test_result
