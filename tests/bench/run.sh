#!/bin/sh
# Benchmarks: figures to read, not tests.  Run with `make bench`.
# Starts kasa-emu on loopback, then measures the cipher, the library's round
# trips and kasactl's whole-process round trip (spawn, connect, query, print)
# as median and p99; then KLAP beside XOR (bench-klap): a relay switch on a
# kept session, what a handshake costs, the client's cryptography alone.
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

# XOR and KLAP plugs in one emulator: an XOR hs110v4; IOT JSON over KLAP v1
# and v2; a SMART p110 (v2); one more v1 and v2 for the fresh sessions, as a
# handshake ends the session a device holds.  The KLAP ones are bound to an
# account that the client gives, so the first credential it tries matches.
klap_user=bench@example.com
klap_password=bench
account="user=$klap_user,password=$klap_password"
emu_start hs110v4 "hs110v4,klap=1,$account" "hs110v4,klap=2,$account" "p110,$account" \
	"hs110v4,klap=1,$account" "hs110v4,klap=2,$account"
echo
echo "bench: KLAP, kasa-emu on 127.0.0.1: hs110v4 (XOR, klap=1, klap=2), p110; $rounds rounds"
LD_LIBRARY_PATH=$build/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	"$build/tests/bench/bench-klap" "$rounds" "$klap_user" "$klap_password" \
	"$(emu_port 0)" "$(emu_port 1)" "$(emu_port 2)" "$(emu_port 3)" "$(emu_port 4)" \
	"$(emu_port 5)"
