#!/bin/sh
# The daemon's cost per request in instructions, counted by callgrind: a
# figure that, unlike requests a second, does not move with the load of a
# shared machine, so two builds compare by it in any two runs.  Run with
# `make bench` (after bench-daemon.sh), or:
#   sh tests/bench/instructions.sh BUILDDIR [OTHER_BUILDDIR]
# With a second build tree it measures both, in one run.
#
# kasad runs under callgrind twice per build: once started and stopped, once
# with N cached GETs over one kept connection (curl's URL globbing) in
# between; the difference over N is the figure, start-up and exit aside.
# Everything listens on 127.0.0.1.  Knob: N (2000).
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-2000}

note() {
	echo "instructions: $*"
}

command -v valgrind >/dev/null 2>&1 || { note "valgrind is not installed: no figures"; exit 0; }
command -v curl >/dev/null 2>&1 || { note "curl is not installed: no figures"; exit 0; }

# run BUILD COUNT: kasad's instructions from start to exit with COUNT GETs.
run() {
	_b=$1
	_dir=$(mktemp -d)
	"$_b/tools/emu/kasa-emu" -a 127.0.0.1 -p 0 hs100 >"$_dir/emu.out" 2>/dev/null &
	_emu=$!
	_i=0
	while ! grep -q '^ready' "$_dir/emu.out" 2>/dev/null && [ "$_i" -lt 500 ]; do
		sleep 0.01
		_i=$((_i + 1))
	done
	_plug=$(awk '$1 == "device" { n = split($4, a, ":"); print a[n] }' "$_dir/emu.out")
	# A free port: bind 0 and ask.
	_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '[kasad]\nlisten = 127.0.0.1:%s\npoll_interval = 1h\ncache_max_age = 1h\nclient_rate = 0\n[device "plug"]\nhost = 127.0.0.1\nport = %s\n' \
		"$_port" "$_plug" >"$_dir/kasad.conf"
	valgrind --tool=callgrind --callgrind-out-file="$_dir/cg.out" \
		"$_b/daemon/kasad" -c "$_dir/kasad.conf" >"$_dir/kasad.log" 2>&1 &
	_kasad=$!
	_i=0
	while ! curl -sf -o /dev/null "http://127.0.0.1:$_port/healthz" && [ "$_i" -lt 300 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	curl -sf -o /dev/null "http://127.0.0.1:$_port/devices/plug?fresh=1"
	if [ "$2" -gt 0 ]; then
		curl -s -o /dev/null "http://127.0.0.1:$_port/devices/plug?n=[1-$2]"
	fi
	kill "$_kasad"
	wait "$_kasad" 2>/dev/null
	kill "$_emu"
	wait "$_emu" 2>/dev/null
	awk '$1 == "summary:" { print $2 }' "$_dir/cg.out"
	rm -rf "$_dir"
}

# per_get BUILD: instructions per cached GET.
per_get() {
	_base=$(run "$1" 0)
	_with=$(run "$1" "$N")
	if [ -z "$_base" ] || [ -z "$_with" ]; then
		echo "?"
		return
	fi
	echo $(((_with - _base) / N))
}

echo "instructions: cached GET /devices/plug, $N over one kept connection, kasad under callgrind"
for b in "$@"; do
	b=$(cd "$b" && pwd)
	printf '  %-60s %8s instructions a request\n' "$b" "$(per_get "$b")"
done
