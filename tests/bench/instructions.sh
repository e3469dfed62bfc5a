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
# mhd-min (the minimal libmicrohttpd server) is measured the same way, with
# a body of the same size.  Each figure is given whole and without memset:
# callgrind counts each turn of a `rep stosb` as an instruction, and most of
# a request's count is libmicrohttpd clearing the connection's pool, the
# same in both servers and far cheaper on the CPU than it counts here.
# Everything listens on 127.0.0.1.  Knob: N (2000).
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-2000}

note() {
	echo "instructions: $*"
}

command -v valgrind >/dev/null 2>&1 || { note "valgrind is not installed: no figures"; exit 0; }
command -v curl >/dev/null 2>&1 || { note "curl is not installed: no figures"; exit 0; }

# wait_until TRIES PAUSE COMMAND...: until COMMAND succeeds, trying at
# most TRIES more times, PAUSE seconds apart.
wait_until() {
	_n=$1 _p=$2
	shift 2
	while ! "$@" && [ "$_n" -gt 0 ]; do
		sleep "$_p"
		_n=$((_n - 1))
	done
}

# counts FILE: a callgrind output's instructions, and those in memset.
counts() {
	_t=$(awk '$1 == "summary:" { print $2 }' "$1")
	_m=$(callgrind_annotate "$1" 2>/dev/null | awk '/memset/ { gsub(",", "", $1); m += $1 } END { print m + 0 }')
	[ -n "$_t" ] && echo "$_t $_m"
}

# run BUILD COUNT: kasad's instructions from start to exit with COUNT GETs
# (and those in memset).
run() {
	_b=$1
	_dir=$(mktemp -d)
	"$_b/tools/emu/kasa-emu" -a 127.0.0.1 -p 0 hs100 >"$_dir/emu.out" 2>/dev/null &
	_emu=$!
	wait_until 500 0.01 grep -qs '^ready' "$_dir/emu.out"
	_plug=$(awk '$1 == "device" { n = split($4, a, ":"); print a[n] }' "$_dir/emu.out")
	# A free port: bind 0 and ask.
	_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	printf '[kasad]\nlisten = 127.0.0.1:%s\npoll_interval = 1h\ncache_max_age = 1h\nclient_rate = 0\n[device "plug"]\nhost = 127.0.0.1\nport = %s\n' \
		"$_port" "$_plug" >"$_dir/kasad.conf"
	valgrind --tool=callgrind --callgrind-out-file="$_dir/cg.out" \
		"$_b/daemon/kasad" -c "$_dir/kasad.conf" >"$_dir/kasad.log" 2>&1 &
	_kasad=$!
	wait_until 300 0.1 curl -sf -o /dev/null "http://127.0.0.1:$_port/healthz"
	curl -sf -o "$_dir/body" "http://127.0.0.1:$_port/devices/plug?fresh=1"
	wc -c <"$_dir/body" | tr -d ' ' >"$SIZE_FILE"
	if [ "$2" -gt 0 ]; then
		curl -s -o /dev/null "http://127.0.0.1:$_port/devices/plug?n=[1-$2]"
	fi
	kill "$_kasad"
	wait "$_kasad" 2>/dev/null
	kill "$_emu"
	wait "$_emu" 2>/dev/null
	counts "$_dir/cg.out"
	rm -rf "$_dir"
}

# run_min BUILD COUNT: mhd-min's the same, answering a body of the size
# kasad's was.
run_min() {
	_dir=$(mktemp -d)
	valgrind --tool=callgrind --callgrind-out-file="$_dir/cg.out" \
		"$1/tests/bench/mhd-min" 0 "$(cat "$SIZE_FILE")" >"$_dir/out" 2>/dev/null &
	_min=$!
	wait_until 300 0.1 grep -qs '^port ' "$_dir/out"
	_port=$(awk '$1 == "port" { print $2 }' "$_dir/out")
	curl -sf -o /dev/null "http://127.0.0.1:$_port/devices/plug"
	if [ "$2" -gt 0 ]; then
		curl -s -o /dev/null "http://127.0.0.1:$_port/devices/plug?n=[1-$2]"
	fi
	kill "$_min"
	wait "$_min" 2>/dev/null
	counts "$_dir/cg.out"
	rm -rf "$_dir"
}

# per_get RUN BUILD: instructions per cached GET, and those outside memset.
per_get() {
	set -- $("$1" "$2" 0) $("$1" "$2" "$N")
	if [ $# -ne 4 ]; then
		echo "? ?"
		return
	fi
	echo "$((($3 - $1) / N)) $(((($3 - $4) - ($1 - $2)) / N))"
}

SIZE_FILE=$(mktemp)
trap 'rm -f "$SIZE_FILE"' EXIT
echo "instructions: cached GET /devices/plug, $N over one kept connection, under callgrind"
for b in "$@"; do
	b=$(cd "$b" && pwd)
	set -- $(per_get run "$b")
	printf '  kasad   %-52s %8s a request, %6s outside memset\n' "$b" "$1" "$2"
	set -- $(per_get run_min "$b")
	printf '  mhd-min %-52s %8s a request, %6s outside memset\n' "$b" "$1" "$2"
done
