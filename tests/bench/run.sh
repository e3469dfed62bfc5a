#!/bin/sh
# Benchmarks: figures to read, not tests.  Run with `make bench`.
# Starts kasa-emu on loopback, then measures the cipher, the library's round
# trips and kasactl's whole-process round trip (spawn, connect, query, print)
# as median and p99.
set -eu
build=${1:-.}
rounds=${ROUNDS:-2000}
top_builddir=$(cd "$build" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
# The test scripts' helpers start kasa-emu and wait for its "ready".
. "$top_srcdir/tests/common.sh"

emu_start hs110v4
port=$(emu_port 0)

echo "bench: $(uname -m), $(nproc) cores, kasa-emu hs110v4 on 127.0.0.1:$port"
# The real kasactl binary, not libtool's wrapper script in front of it.
ctl_bin=$build/tools/.libs/kasactl
[ -x "$ctl_bin" ] || ctl_bin=$KASACTL
LD_LIBRARY_PATH=$build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	"$build/tests/bench/bench-lib" "$port" "$rounds" "$ctl_bin"

