#!/bin/sh
# Benchmarks: figures to read, not tests.  Run with `make bench`.
# Starts kasa-emu on loopback, then measures the library's round trips and
# the cipher, and kasactl's whole-process round trip (fork, exec, connect,
# query, print) as median and p99.
set -eu
build=${1:-.}
rounds=${ROUNDS:-2000}
cli_rounds=${CLI_ROUNDS:-300}
emu=$build/tools/emu/kasa-emu
ctl=$build/tools/kasactl
dir=$(mktemp -d)
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

mkfifo "$dir/out"
"$emu" -p 0 hs110v4 >"$dir/out" &
emu_pid=$!
exec 3<"$dir/out"
port=
while IFS= read -r line <&3; do
	case $line in
	ready) break ;;
	device*) set -- $line; port=${4##*:} ;;
	esac
done
[ -n "$port" ] || { echo "bench: kasa-emu did not start" >&2; exit 1; }

echo "bench: $(uname -m), $(nproc) cores, kasa-emu hs110v4 on 127.0.0.1:$port"
"$build/tests/bench/bench-lib" "$port" "$rounds"

# kasactl as a user runs it: a whole process per round trip.
i=0
: >"$dir/times"
while [ "$i" -lt "$cli_rounds" ]; do
	t0=$(date +%s%N)
	"$ctl" "127.0.0.1:$port" check >/dev/null
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000)) >>"$dir/times"
	i=$((i + 1))
done
sort -n "$dir/times" | awk -v n="$cli_rounds" '
	{ v[NR] = $1 }
	END { printf "%-34s n=%d median=%.3f ms p99=%.3f ms max=%.3f ms\n", "kasactl check (whole process)",
		n, v[int(n / 2) + 1] / 1000, v[int(n * 0.99) + 1] / 1000, v[n] / 1000 }'
