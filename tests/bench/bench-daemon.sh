#!/bin/sh
# The daemon's benchmark: figures to read, not tests.  Run with `make bench`
# (after run.sh), or: sh tests/bench/bench-daemon.sh BUILDDIR.
#
# 1. Cached GET /devices/NAME with wrk (keep-alive), against kasad and
#    against mhd-min, a minimal libmicrohttpd server sending a body of the
#    same size; their ratio.
# 2. POST /devices/NAME/on through kasad against one kasa-emu hs100, beside
#    the same relay request sent straight to the plug (bench-http).
# 3. A thousand emulated plugs polled every second: time to the first full
#    poll cycle, CPU per cycle, resident memory.
#
# Everything listens on 127.0.0.1.  Knobs (environment): WRK_S (5), ROUNDS
# (2000), PLUGS (1000), WINDOW_S (10).
set -u
build=${1:-.}
top_builddir=$(cd "$build" && pwd)
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
WRK_S=${WRK_S:-5}
ROUNDS=${ROUNDS:-2000}
PLUGS=${PLUGS:-1000}
WINDOW_S=${WINDOW_S:-10}
BENCH_HTTP=$top_builddir/tests/bench/bench-http
MHD_MIN=$top_builddir/tests/bench/mhd-min

# Helpers of the test scripts: kasa-emu (emu_start) and kasad under
# notify-run (kasad_config, kasad_start), with their cleanup on exit.
. "$top_srcdir/tests/common.sh"
. "$top_srcdir/tests/daemon/kasad.sh"
READY_S=30

# skip/hard_error come from common.sh and exit 77/99; a benchmark just says so.
note() {
	echo "bench-daemon: $*"
}

command -v wrk >/dev/null 2>&1 || note "wrk is not installed: no throughput figures"
for p in "$BENCH_HTTP" "$MHD_MIN"; do
	[ -x "$p" ] || hard_error "$p is not built (make bench builds it)"
done

mhd_pid=
big_pid=
bench_cleanup() {
	in_main_shell || return 0
	[ -n "$mhd_pid" ] && kill -TERM "$mhd_pid" 2>/dev/null && wait "$mhd_pid" 2>/dev/null
	[ -n "$big_pid" ] && kill -TERM "$big_pid" 2>/dev/null && wait "$big_pid" 2>/dev/null
	mhd_pid=
	big_pid=
}
trap 'bench_cleanup; kasad_cleanup; cleanup' EXIT

# to_ms VALUE: wrk's "126.00us", "1.20ms" or "2.01s" in milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		if (sub(/us$/, "", v)) printf "%.3f", v / 1000
		else if (sub(/ms$/, "", v)) printf "%.3f", v
		else if (sub(/m$/, "", v)) printf "%.3f", v * 60000
		else if (sub(/s$/, "", v)) printf "%.3f", v * 1000
		else printf "?"
	}'
}

# wrk_run LABEL URL: one wrk run; sets RPS and P99_MS and prints a line.
wrk_run() {
	wrk -t1 -c8 -d"${WRK_S}s" --latency "$2" >"$TMP/wrk.out" 2>&1
	RPS=$(awk '$1 == "Requests/sec:" { print $2 }' "$TMP/wrk.out")
	P99_MS=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$TMP/wrk.out")")
	_p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$TMP/wrk.out")")
	_bad=$(awk '/Non-2xx or 3xx/ { print $NF } /Socket errors/ { print }' "$TMP/wrk.out")
	printf '  %-48s %10.0f req/s  p50=%s ms  p99=%s ms\n' "$1" "${RPS:-0}" "$_p50" "$P99_MS"
	if [ -z "$RPS" ] || [ -n "$_bad" ]; then
		echo "  wrk reports problems: ${_bad:-no figures}; its output:"
		sed 's/^/    | /' "$TMP/wrk.out"
	fi
}

# cpu_ticks PID: utime + stime of a process, in clock ticks (after the
# command name, which is in parentheses: fields 14 and 15 of stat(5)).
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# emu_requests FILE BLOCK: the sum of requests= over the devices of the
# BLOCK-th (1-based) group of stats lines in FILE (one group per SIGUSR1).
emu_requests() {
	awk -v want="$2" '$1 == "stats" {
		if ($2 == 0) block++
		if (block == want) { sub(/^requests=/, "", $3); n += $3 }
	} END { print n + 0 }' "$1"
}

# wait_lines FILE COUNT: wait (at most 5 s) until FILE has COUNT stats lines.
wait_lines() {
	_i=0
	while [ "$(grep -c '^stats ' "$1" 2>/dev/null)" -lt "$2" ] && [ "$_i" -lt 500 ]; do
		sleep 0.01
		_i=$((_i + 1))
	done
}

tck=$(getconf CLK_TCK)
echo "bench-daemon: $(uname -m), $(nproc) cores, $(uname -sr); $("$KASAD" --version 2>/dev/null | head -n 1), libmicrohttpd $(pkg-config --modversion libmicrohttpd 2>/dev/null || echo "?")"
echo "bench-daemon: wrk -t1 -c8 -d${WRK_S}s --latency; relay rounds=$ROUNDS; $PLUGS x hs100 at poll_interval = 1s, CPU window ${WINDOW_S} s; all on 127.0.0.1, nothing pinned"

# --- 1 and 2: one plug ------------------------------------------------------

emu_start hs100
plug_port=$(emu_port 0)
emu_pid=$(cat "$TMP/emu$EMU/pid")
KASAD_POLL=1h kasad_config "$TMP/kasad.conf" "cache_max_age = 1h" \
	'[device "plug"]' "host = 127.0.0.1" "port = $plug_port"
kasad_start "$TMP/kasad.conf"
kasad_port=${KASAD_URL##*:}
url=$KASAD_URL/devices/plug

echo
echo "1. cached GET /devices/plug, keep-alive (kasad: cache_max_age = 1h, poll_interval = 1h; plug hs100 on 127.0.0.1:$plug_port)"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$url?fresh=1")
[ "$code" = 200 ] || hard_error "GET /devices/plug?fresh=1 answered HTTP $code"
code=$(curl -sS -o "$TMP/body" -w '%{http_code}' "$url")
size=$(wc -c <"$TMP/body" | tr -d ' ')
[ "$code" = 200 ] || hard_error "GET /devices/plug answered HTTP $code"
echo "  kasad's answer: HTTP 200, $size bytes of JSON"
if command -v wrk >/dev/null 2>&1; then
	"$MHD_MIN" 0 "$size" >"$TMP/mhd.out" 2>"$TMP/mhd.err" 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
	mhd_pid=$!
	i=0
	until grep -q '^port ' "$TMP/mhd.out" 2>/dev/null || [ "$i" -ge 500 ]; do
		sleep 0.01
		i=$((i + 1))
	done
	mhd_port=$(awk '$1 == "port" { print $2 }' "$TMP/mhd.out")
	[ -n "$mhd_port" ] || hard_error "mhd-min did not start: $(cat "$TMP/mhd.err")"
	code=$(curl -sS -o /dev/null -w '%{http_code} %{size_download}' "http://127.0.0.1:$mhd_port/devices/plug")
	[ "$code" = "200 $size" ] || hard_error "mhd-min answered '$code', not '200 $size'"

	kill -USR1 "$emu_pid"
	wrk_run "kasad GET /devices/plug" "$url"
	kasad_rps=$RPS kasad_p99=$P99_MS
	kill -USR1 "$emu_pid"
	wrk_run "mhd-min, same body size (1 MHD thread, epoll)" "http://127.0.0.1:$mhd_port/devices/plug"
	min_rps=$RPS min_p99=$P99_MS
	awk -v k="$kasad_rps" -v m="$min_rps" -v kp="$kasad_p99" -v mp="$min_p99" 'BEGIN {
		if (m > 0) printf "  throughput ratio kasad/minimal: %.2f  (aim >= 0.6); p99 %s ms vs %s ms\n", k / m, kp, mp
	}'
	kill -TERM "$mhd_pid" 2>/dev/null
	wait "$mhd_pid" 2>/dev/null
	mhd_pid=
fi

echo
echo "2. POST /devices/plug/on through kasad vs straight to the plug (bench-http, one keep-alive connection, $ROUNDS rounds each)"
"$BENCH_HTTP" relay "$kasad_port" plug "$plug_port" "$ROUNDS" 9<&- ||
	note "the relay measurement failed (see above)"
kasad_stop
emu_stop "$EMU"
if command -v wrk >/dev/null 2>&1; then
	# stats blocks: 1 before the kasad wrk run, 2 after it, 3 at exit.
	during=$(($(emu_requests "$TMP/emu$EMU/stats" 2) - $(emu_requests "$TMP/emu$EMU/stats" 1)))
	echo "  (check on 1.: the plug got $during requests while wrk ran against kasad: answers came from the cache)"
fi

# --- 2b: the same switch to plugs of newer firmware -------------------------

echo
echo "2b. POST /devices/NAME/on through kasad: XOR beside KLAP v1, KLAP v2 (IOT JSON) and SMART (p110), one keep-alive connection, $ROUNDS rounds, interleaved"
emu_start hs100 "hs100,klap=1,user=bench@example.com,password=bench" \
	"hs100,klap=2,user=bench@example.com,password=bench" \
	"p110,user=bench@example.com,password=bench"
printf '%s\n' bench@example.com bench >"$TMP/account"
chmod 600 "$TMP/account"
KASAD_POLL=1h kasad_config "$TMP/kasad-klap.conf" "credentials = $TMP/account" \
	'[device "xor"]' "host = 127.0.0.1" "port = $(emu_port 0)" "transport = xor" \
	'[device "klap1"]' "host = 127.0.0.1" "klap_port = $(emu_port 1)" "transport = klap" \
	'[device "klap2"]' "host = 127.0.0.1" "klap_port = $(emu_port 2)" "transport = klap" \
	'[device "smart"]' "host = 127.0.0.1" "klap_port = $(emu_port 3)" "transport = klap"
kasad_start "$TMP/kasad-klap.conf"
"$BENCH_HTTP" switch "${KASAD_URL##*:}" "$ROUNDS" xor klap1 klap2 smart 9<&- ||
	note "the KLAP switch measurement failed (see above)"
kasad_stop
emu_stop "$EMU"

# --- 3: a thousand plugs ----------------------------------------------------

echo
echo "3. $PLUGS emulated hs100 plugs (one kasa-emu), one kasad device each, poll_interval = 1s"
nofile=$(ulimit -n 2>/dev/null || echo 0)
if [ "$nofile" != unlimited ] && [ "$nofile" -le $((PLUGS * 2 + 100)) ]; then
	ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
	nofile=$(ulimit -n 2>/dev/null || echo 0)
fi
if [ "$nofile" != unlimited ] && [ "$nofile" -le $((PLUGS * 2 + 100)) ]; then
	note "skipped: the open-file limit is $nofile (hard $(ulimit -Hn)); kasa-emu needs more than $((PLUGS * 2 + 100)) for $PLUGS plugs"
	exit 0
fi
"$KASA_EMU" -a 127.0.0.1 -p 0 -n "$PLUGS" -r "$TMP/big.ready" hs100 >"$TMP/big.out" \
	2>"$TMP/big.err" 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
big_pid=$!
i=0
until grep -qx ready "$TMP/big.ready" 2>/dev/null || [ "$i" -ge 3000 ]; do
	kill -0 "$big_pid" 2>/dev/null || break
	sleep 0.01
	i=$((i + 1))
done
grep -qx ready "$TMP/big.ready" 2>/dev/null ||
	hard_error "kasa-emu -n $PLUGS did not get ready: $(cat "$TMP/big.err")"

KASAD_POLL=1s kasad_config "$TMP/kasad-big.conf"
awk '$1 == "device" {
	n = split($4, a, ":")
	printf "[device \"p%d\"]\nhost = %s\nport = %s\n", $2, a[1], a[n]
}' "$TMP/big.ready" >>"$TMP/kasad-big.conf"
kasad_start "$TMP/kasad-big.conf"
t_ready=$(date +%s%N)
kasad_port=${KASAD_URL##*:}
set -- $("$BENCH_HTTP" online "$kasad_port" "$PLUGS" 30 "$t_ready" 9<&-)
if [ $# -eq 2 ]; then
	printf '  %-48s %8.1f ms  (aim < 1000 ms; /healthz read every 1 ms, %s reads)\n' \
		"READY=1 -> /healthz \"online\":$PLUGS" "$1" "$2"
	echo "  (first polls are spread over min(poll_interval / 10, 0.5 s) = 100 ms; the clock starts when the script saw READY=1)"
else
	note "kasad never reported all $PLUGS plugs online; not measuring CPU"
	exit 0
fi

# Settle for a second past the first cycle (connections set up), then the
# window; SIGUSR1 makes kasa-emu count each plug's requests, so the window's
# real number of poll cycles is its requests / PLUGS (one sysinfo a poll).
sleep 1
kill -USR1 "$big_pid"
t0=$(date +%s%N)
c0=$(cpu_ticks "$KASAD_PID")
sleep "$WINDOW_S"
c1=$(cpu_ticks "$KASAD_PID")
t1=$(date +%s%N)
kill -USR1 "$big_pid"
wait_lines "$TMP/big.out" $((PLUGS * 2))
reqs=$(($(emu_requests "$TMP/big.out" 2) - $(emu_requests "$TMP/big.out" 1)))
awk -v c="$((c1 - c0))" -v tck="$tck" -v ns="$((t1 - t0))" -v r="$reqs" -v n="$PLUGS" 'BEGIN {
	s = ns / 1e9
	cpu_ms = c * 1000 / tck
	printf "  %-48s %8.1f ms over %.2f s (%d ticks of 1/%d s) = %.1f%% of one core\n", \
		"kasad CPU (utime+stime) in the window", cpu_ms, s, c, tck, cpu_ms / 10 / s
	printf "  %-48s %8.1f ms per cycle of %d plugs (nominal %.0f cycles)\n", \
		"CPU per poll cycle", cpu_ms / s, n, s
	if (r > 0)
		printf "  %-48s %8.1f ms per cycle (%.2f polls per plug seen by kasa-emu)\n", \
			"CPU per poll cycle, counted", cpu_ms / (r / n), r / n
}'
awk '/^Vm(RSS|HWM):/ {
	printf "  %-48s %8.1f MiB (%d kB)%s\n", "kasad " substr($1, 1, length($1) - 1), $2 / 1024, $2, $1 == "VmRSS:" ? "  (aim < 16 MiB)" : ""
}' "/proc/$KASAD_PID/status"
printf '  %-48s %8s\n' "kasad open files" "$(ls "/proc/$KASAD_PID/fd" | wc -l)"
kasad_stop
bench_cleanup
