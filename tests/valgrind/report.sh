#!/bin/sh
# report.sh LOGDIR: read the memcheck logs of `make check-valgrind` and say
# which process had errors (invalid accesses, uninitialised values, leaks,
# which --leak-check=full counts as errors) or left a descriptor open at exit
# that it did not inherit.  Exit 0 when there is nothing to report, 1 when
# there is, 2 when there are no logs at all (nothing ran under valgrind).
logdir=${1:?usage: report.sh LOGDIR}

n=0
bad=0
for log in "$logdir"/*.log; do
	[ -f "$log" ] || continue
	n=$((n + 1))
	problems=
	# Without -q, memcheck ends with "ERROR SUMMARY: N errors ...".  A
	# process killed by a signal it does not handle (SIGKILL) writes none:
	# there is nothing to read then.
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9][0-9]*\) errors.*/\1/p' "$log" | tail -n 1)
	if [ -n "$errors" ] && [ "$errors" -ne 0 ]; then
		problems="$errors errors"
	fi
	# "Open ... N: ..." blocks; the ones followed by "<inherited from
	# parent>" belong to whoever started the process, and a socket opened
	# in glibc's getaddrinfo_a helper thread (handle_requests) is a lookup
	# still running at exit (see glibc.supp).
	fds=$(awk '
		/Open (file descriptor|AF_[A-Z0-9]+ socket)/ {
			if (pending != "") leaked = leaked pending "\n"
			pending = $0; next
		}
		pending != "" && /<inherited from parent>/ { pending = ""; next }
		pending != "" && /by 0x[0-9A-F]+: handle_requests \(gai_misc\.c/ { pending = ""; next }
		pending != "" && /^==[0-9]+== *$/ { leaked = leaked pending "\n"; pending = "" }
		END { if (pending != "") leaked = leaked pending "\n"; printf "%s", leaked }
	' "$log")
	if [ -n "$fds" ]; then
		problems="${problems:+$problems, }$(printf '%s\n' "$fds" | wc -l) descriptors left open"
	fi
	if [ -n "$problems" ]; then
		bad=$((bad + 1))
		echo "valgrind: $(basename "$log"): $problems"
		sed 's/^/    | /' "$log"
	fi
done
if [ "$n" -eq 0 ]; then
	echo "valgrind: no logs in $logdir: nothing ran under valgrind" >&2
	exit 2
fi
echo "valgrind: $n processes checked, $bad with problems"
[ "$bad" -eq 0 ]
