#!/bin/sh
# Benchmarks: figures to read, not tests.  Run with `make bench`.
# Starts kasa-emu on loopback, then measures the cipher, the library's round
# trips and kasactl's whole-process round trip (spawn, connect, query, print)
# as median and p99.
set -eu
build=${1:-.}
rounds=${ROUNDS:-2000}
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
# The real kasactl binary, not libtool's wrapper script in front of it.
ctl_bin=$build/tools/.libs/kasactl
[ -x "$ctl_bin" ] || ctl_bin=$ctl
LD_LIBRARY_PATH=$build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	"$build/tests/bench/bench-lib" "$port" "$rounds" "$ctl_bin"

