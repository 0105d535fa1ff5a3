#!/usr/bin/env bash
# pto2-top.sh - the device monitor against a running example on the mock:
# --json sees the device, its pid, memory, cores and busy shares, and ring
# occupancy or a task rate at some sample; plain frames off a terminal, the
# ANSI screen under script(1) with q and Ctrl-C restoring the terminal; no
# device is exit 1 with one line; a dead owner's shm object is removed; bad
# usage is exit 2.  The no-device and stale checks run in a private mount
# namespace with its own /dev/shm, so other processes' devices stay out.
. "$(dirname "$0")/common.bash" pto2-top
bin=$B/bin/pto2-top
run=$B/bin/pto-run

check "--help" 0 "$bin" --help
has "--help prints the usage" '^Usage: pto2-top' "$T/out"
check "--version" 0 "$bin" --version
for args in "-d 0" "-d x" "-d 5000" "-n 0" "--json -n 2" "extra" "--frobnicate" "-d"; do
	# shellcheck disable=SC2086
	check "'$args'" 2 "$bin" $args
	one_line "'$args'" "$T/err"
done

# --- a running example ---------------------------------------------------------
"$run" paged_attention --device mock:clusters=4,name=toptest --rounds 100000 >"$T/run.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do
	ls /dev/shm/pto2-mock-$pid-* >/dev/null 2>&1 && break
	sleep 0.1
done
has "the example publishes its device" "pto2-mock-$pid-0" <(ls /dev/shm)

# A sample with nonzero ring occupancy or task rate: the run is live, but a
# sample may fall between two rounds, so look at several.
seen=0
for i in $(seq 20); do
	"$bin" --json -d 0.2 >"$T/j$i" 2>"$T/err" || { bad "--json sample $i: exit $?"; break; }
	if python3 - "$T/j$i" "$pid" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
assert doc["schema"] == "pto2-top/1"
devs = [d for d in doc["devices"] if any(p["pid"] == pid for p in d["processes"])]
assert len(devs) == 1, devs
d = devs[0]
assert d["kind"] == "mock" and d["name"].startswith("pto2-mock-%d-" % pid)
assert d["clusters"] == 4 and d["cores"] == 12 and d["device"] == "toptest"
assert 0 < d["memory"]["used"] <= d["memory"]["total"]
assert d["busy"]["available"] and len(d["busy"]["cores"]) == 12
assert all(0 <= b <= 1 for b in d["busy"]["cores"])
assert d["rings"]["available"]
live = sum(r["live"] for rt in d["rings"]["runtimes"] for r in rt["rings"])
sys.exit(0 if live > 0 or (d["tasks_per_s"] or 0) > 0 else 3)
PY
	then seen=1; cp "$T/j$i" "$T/json"; break
	elif [ $? -ne 3 ]; then bad "--json sample $i is not what the schema says"; cat "$T/j$i"; break
	fi
done
[ "$seen" = 1 ] && ok "--json: device, pid, memory, 12 cores, occupancy or tasks/s" ||
	bad "no --json sample showed ring occupancy or a task rate"
if [ "$seen" = 1 ]; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["devices"]; \
sys.exit(0 if any(any(x>0 for x in v["busy"]["cores"]) for v in d) else 1)' "$T/json" &&
		ok "--json: some core was busy" || bad "--json: no core busy while tasks ran"
fi

check "plain frames" 0 "$bin" -n 2 -d 0.2
[ "$(grep -c '^pto2-top - every 0.20s' "$T/out")" = 2 ] && ok "plain: two frames" ||
	bad "plain: not two frames"; 
has "plain: the device and its process" "^  processes: .*$pid pto-run" "$T/out"
has "plain: per-cluster busy" '^ +c00 +[0-9]+ +[0-9]+ +[0-9]+' "$T/out"
hasnt "plain: no escape sequences" $'\033' "$T/out"

# the terminal form: ANSI redraw, then the terminal as it was
script -qec "stty -g >$T/before; $bin -n 2 -d 0.2; echo rc=\$?; stty -g >$T/after" \
	/dev/null </dev/null >"$T/tty" 2>&1
has "tty: clears and homes" $'\033\\[H\033\\[2J' "$T/tty"
has "tty: shows the cursor again" $'\033\\[\\?25h' "$T/tty"
has "tty: exit 0" 'rc=0' "$T/tty"
cmp -s "$T/before" "$T/after" && ok "tty: terminal modes restored" || bad "tty: modes changed"
for key in q $'\003'; do
	name=$([ "$key" = q ] && echo q || echo Ctrl-C)
	# The key goes only once pto2-top hid the cursor: by then its handlers
	# and terminal modes are set (a Ctrl-C sent earlier, on a loaded machine,
	# killed it before it could restore anything).  stdin stays open a
	# little after the key (an early EOF would end script first); the
	# pipeline waits for that sleep, so it stays short.  The Ctrl-C goes to
	# the whole foreground group, script's shell too: the shell traps it so
	# that it lives to print rc= (dash, script's shell when SHELL is /bin/sh,
	# dies of it otherwise); pto2-top gets the default action back at exec,
	# so only its own handler keeps it alive.
	out="$T/tty-$name"
	: >"$out"
	(for _ in $(seq 150); do grep -qF $'\033[?25l' "$out" && break; sleep 0.1; done
	 printf '%s' "$key"; sleep 4) | timeout 30 script -qec \
		"trap : INT; stty -g >$T/before; $bin -d 0.2; echo rc=\$?; stty -g >$T/after" /dev/null \
		>"$out" 2>&1
	has "tty: $name quits" 'rc=0' "$out"
	cmp -s "$T/before" "$T/after" && ok "tty: $name restores the modes" ||
		bad "tty: $name left the modes changed"
done
kill $pid 2>/dev/null
wait $pid 2>/dev/null

# --- no device, and a dead owner's object ------------------------------------------
# A private /dev/shm (and /sys/class/misc, should the module be loaded here).
private() {
	unshare -rm sh -c 'mount -t tmpfs none /dev/shm || exit 99
		[ ! -d /sys/class/misc ] || mount -t tmpfs none /sys/class/misc || exit 99
		exec "$@"' sh "$@"
}
if ! private true 2>"$T/err"; then
	skipped "no private mount namespace (unshare -rm: $(head -1 "$T/err")): no-device and stale-object checks not run"
else
	check "no device" 1 private "$bin" --json
	one_line "no device" "$T/err"
	has "no device: says so" '^pto2-top: no pto2 device' "$T/err"
	check "no device, plain" 1 private "$bin" -n 1

	cat >"$T/stale.sh" <<EOS
"$run" vector_example --device mock:clusters=2 --rounds 100000 >/dev/null 2>&1 &
p=\$!
# killed once its device is published (pto2-top sees it)
for _ in \$(seq 100); do "$bin" --json -d 0.05 >/dev/null 2>&1 && break; sleep 0.1; done
kill -9 \$p; wait \$p 2>/dev/null
ls /dev/shm/pto2-mock-\$p-0 >/dev/null || { echo "no object left by the crash"; exit 5; }
"$bin" --json -d 0.05; rc=\$?
ls /dev/shm/pto2-mock-\$p-0 >/dev/null 2>&1 && { echo "stale object still there"; exit 6; }
exit \$rc
EOS
	check "stale object of a dead pid: ignored (no device)" 1 private bash "$T/stale.sh"
	hasnt "stale object removed" 'stale object still there|no object left' "$T/out"
fi

# Hostile status pages: any user can create /dev/shm/pto2-mock-*.  Owned by
# this shell (alive), each lies in one field; pto2-top must neither crash,
# read outside the object nor hang, and shows the page as inconsistent.
fake=/dev/shm/pto2-mock-$$-77
fake_page() { # clusters cores win_offset gm_offset mem_size
	python3 - "$fake" "$$" "$@" <<'PY'
import struct, sys
path, pid, ncl, ncores, win, gm, mem = sys.argv[1], int(sys.argv[2]), *map(int, sys.argv[3:])
head = struct.pack("<IIiIIIQQQQQQ", 0x4d4f5450, 1, pid, ncl, ncores, 2, 0, 0, mem, 0, win, gm)
with open(path, "wb") as f:
    f.write(head.ljust(4096, b"\0"))
    f.truncate(4096 + 6 * 4096 + 65536)
PY
}
for c in "huge clusters:4294967295 6 4096 28672 65536" "clusters past cores:3000 6 4096 28672 65536" \
	 "window offset wraps:1 3 18446744073709547520 8192 4096" \
	 "memory size wraps:2 6 4096 28672 18446744073709522944"; do
	fake_page ${c#*:}
	check "hostile page, ${c%%:*}" 0 "$bin" -n 1 -d 0.05
	has "hostile page, ${c%%:*}: refused" 'inconsistent with the object size' "$T/out"
	rm -f "$fake"
done
mkfifo "$fake"
check "a FIFO by the name: no hang" 1 timeout 10 "$bin" -n 1 -d 0.05
rm -f "$fake"

test_result
