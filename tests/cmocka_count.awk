# cmocka_count.awk - "passed failed skipped" of a cmocka binary's output.
#
# Each test ends with one status line between a group's "Running" and its
# "test(s) run." (the summary after it names failed and skipped tests
# again, and does not count a failed setup as a failure): count those, and
# a group that died part-way counts what it finished.  Used by
# tests/run-suite.sh and, in the qemu guest, by tests/kmod/guest-init.sh.
/^\[==========\] Running / { running = 1; next }
/^\[==========\] .* test\(s\) run\./ { running = 0; next }
!running { next }
/^\[       OK \] / { ok++ }
/^\[  (FAILED  |ERROR   )\] [^-]/ { fail++ }	# "ERROR ] ---" is a message
/^\[  SKIPPED \] / { skip++ }
END { print ok + 0, fail + 0, skip + 0 }
