#!/bin/sh
# The soak (`make soak`): one kasad with healthy and faulty plugs at once,
# under load for a while, watched for crashes and for growth.
#
# wrk drives the healthy plugs (cached reads, the state, the meter, on and
# off); a curl loop per faulty plug asks it a fresh read, on, the meter and
# a Home Assistant switch over and over; kasad polls everything meanwhile.
# Every SOAK_SAMPLE seconds kasad's resident memory (VmRSS) and open
# descriptors are sampled.  It prints the requests, the errors by class of
# device, and RSS and descriptors at the start and the end, and fails:
# - if kasad crashes, or does not exit 0 on SIGTERM at the end;
# - on any answer other than 2xx from a healthy plug (or a socket error);
# - on any answer from a faulty plug other than 200, 502 or 504 (a hang
#   is the curl guard's exit, and counts);
# - if RSS grows by more than SOAK_RSS_GROWTH_KB from the end of warm-up
#   to the end (both under load);
# - if kasad holds more descriptors idle after the load than idle before
#   it, beyond SOAK_FD_SLACK (sockets to plugs that the poller happens to
#   have open at that moment).
#
# Knobs (environment or `make soak VAR=...`):
#   SOAK_SECONDS        length of the load (60)
#   SOAK_WARMUP         seconds of load before the RSS baseline (10)
#   SOAK_SAMPLE         seconds between samples (5)
#   SOAK_HEALTHY        healthy plugs (4)
#   SOAK_THREADS        wrk threads (2)
#   SOAK_CONNECTIONS    wrk connections (16)
#   SOAK_RSS_GROWTH_KB  RSS growth allowed after warm-up, in KiB (1024)
#   SOAK_FD_SLACK       descriptor growth allowed, idle to idle (2)
#
# Needs wrk (Debian package wrk) and curl.  Run by make, which sets
# top_builddir and top_srcdir.
. "$top_srcdir/tests/common.sh"
. "$top_srcdir/tests/daemon/kasad.sh"

SOAK_SECONDS=${SOAK_SECONDS:-60}
SOAK_WARMUP=${SOAK_WARMUP:-10}
SOAK_SAMPLE=${SOAK_SAMPLE:-5}
SOAK_HEALTHY=${SOAK_HEALTHY:-4}
SOAK_THREADS=${SOAK_THREADS:-2}
SOAK_CONNECTIONS=${SOAK_CONNECTIONS:-16}
SOAK_RSS_GROWTH_KB=${SOAK_RSS_GROWTH_KB:-1024}
SOAK_FD_SLACK=${SOAK_FD_SLACK:-2}
for v in SOAK_SECONDS SOAK_WARMUP SOAK_SAMPLE SOAK_HEALTHY SOAK_THREADS SOAK_CONNECTIONS \
	SOAK_RSS_GROWTH_KB SOAK_FD_SLACK; do
	eval "_v=\$$v"
	case $_v in
	'' | *[!0-9]*) hard_error "$v must be a whole number, not '$_v'" ;;
	esac
done
[ "$SOAK_WARMUP" -lt "$SOAK_SECONDS" ] || hard_error "SOAK_WARMUP must be less than SOAK_SECONDS"
[ "$SOAK_SAMPLE" -ge 1 ] || hard_error "SOAK_SAMPLE must be at least 1"
[ "$SOAK_HEALTHY" -ge 1 ] || hard_error "SOAK_HEALTHY must be at least 1"
command -v wrk >/dev/null 2>&1 || hard_error "wrk is not installed (Debian: apt-get install wrk)"

CONF=$TMP/kasad.conf
# NAME SPEC: the faulty plugs.  A plug that never answers, one beyond
# request_timeout, one that refuses, one whose replies are garbage, one
# that hangs up, one that cuts its replies short, one whose JSON is cut,
# and one that drops half its requests.
FAULTY="hole hs110v4,fault=blackhole
slow hs110v4,delay=3000
refused hs110v4,fault=refuse
garbage hs110v4,fault=garbage
closing hs110v4,fault=close
truncated hs110v4,fault=truncate
badjson hs110v4,fault=badjson
flaky hs110v4,flaky=50"

# --- The plugs and kasad ---------------------------------------------------------

set --
i=0
while [ "$i" -lt "$SOAK_HEALTHY" ]; do
	set -- "$@" hs110v4
	i=$((i + 1))
done
for s in $(printf '%s\n' "$FAULTY" | awk '{ print $2 }'); do
	set -- "$@" "$s"
done
emu_start "$@"

KASAD_TIMEOUT=1s KASAD_POLL=2s kasad_config "$CONF" "offline_after = 2" "backoff_max = 5s" \
	"max_connections = 1024" "max_connections_per_ip = 1024"
healthy=
i=0
while [ "$i" -lt "$SOAK_HEALTHY" ]; do
	printf '[device "h%s"]\nhost = 127.0.0.1\nport = %s\n' "$i" "$(emu_port "$i")" >>"$CONF"
	healthy="$healthy h$i"
	i=$((i + 1))
done
printf '%s\n' "$FAULTY" | while read -r name spec; do
	printf '[device "%s"]\nhost = 127.0.0.1\nport = %s\n' "$name" "$(emu_port "$i")"
	i=$((i + 1))
done >>"$CONF"
kasad_start "$CONF"

rss_kb() {
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$KASAD_PID/status" 2>/dev/null
}
fds() {
	ls "/proc/$KASAD_PID/fd" 2>/dev/null | wc -l
}
alive() {
	kill -0 "$KASAD_PID" 2>/dev/null
}
# idle_fds: the fewest descriptors over ten samples 200 ms apart (the poller
# opens and closes sockets to the faulty plugs all the while).
idle_fds() {
	_min=
	for _k in 1 2 3 4 5 6 7 8 9 10; do
		_f=$(fds)
		[ -z "$_min" ] || [ "$_f" -lt "$_min" ] && _min=$_f
		sleep 0.2
	done
	echo "$_min"
}

# One round to every plug, so that each has been dealt with once.
for d in $healthy $(printf '%s\n' "$FAULTY" | awk '{ print $1 }'); do
	curl -s -m "$GUARD_S" -o /dev/null "$KASAD_URL/devices/$d?fresh=1" 9<&-
done
rss_start=$(rss_kb)
fds_start=$(idle_fds)

# --- The load ----------------------------------------------------------------------

# faulty_loop NAME: until $TMP/stop exists, ask the faulty plug NAME; one
# line per request in $TMP/f.NAME: STATUS CURL_EXIT.
faulty_loop() {
	_i=0
	while [ ! -e "$TMP/stop" ]; do
		case $((_i % 4)) in
		0) set -- GET "?fresh=1" ;;
		1) set -- POST /on ;;
		2) set -- GET /emeter ;;
		3) set -- POST /state -d ON ;;
		esac
		_m=$1
		_p=$2
		shift 2
		_code=$(curl -s -m "$GUARD_S" -o /dev/null -w '%{http_code}' -X "$_m" "$@" \
			"$KASAD_URL/devices/$name$_p")
		echo "${_code:-000} $?" >>"$TMP/f.$name"
		_i=$((_i + 1))
	done
}

# sampler: every SOAK_SAMPLE s until $TMP/stop, "SECONDS RSS_KB FDS".
sampler() {
	_t0=$(now_ms)
	while [ ! -e "$TMP/stop" ] && alive; do
		echo "$((($(now_ms) - _t0) / 1000)) $(rss_kb) $(fds)" >>"$TMP/samples"
		sleep "$SOAK_SAMPLE"
	done
}

echo "soak: $SOAK_SECONDS s; $SOAK_HEALTHY healthy plugs under wrk ($SOAK_THREADS threads," \
	"$SOAK_CONNECTIONS connections), faulty:" $(printf '%s\n' "$FAULTY" | awk '{ print $1 }')
: >"$TMP/samples"
pids=
for name in $(printf '%s\n' "$FAULTY" | awk '{ print $1 }'); do
	: >"$TMP/f.$name"
	(faulty_loop) 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
	pids="$pids $!"
done
(sampler) 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
sampler_pid=$!
t0=$(now_ms)
# shellcheck disable=SC2086
wrk -t "$SOAK_THREADS" -c "$SOAK_CONNECTIONS" -d "${SOAK_SECONDS}s" --timeout 10s \
	-s "$top_srcdir/tests/soak/soak.lua" "$KASAD_URL" -- $healthy >"$TMP/wrk.out" \
	2>"$TMP/wrk.err" 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&-
wrk_rc=$?
# The last sample under load, then stop the rest.
echo "$((($(now_ms) - t0) / 1000)) $(rss_kb) $(fds)" >>"$TMP/samples"
touch "$TMP/stop"
for p in $pids $sampler_pid; do
	wait "$p"
done

# --- The figures -----------------------------------------------------------------------

RC=0
ELAPSED_MS=$(($(now_ms) - t0))
LAST_CMD="kasad after the load"
cp "$TMP/kasad.stderr" "$ERR"
: >"$OUT"
check "kasad is still running" alive
if alive; then
	api GET /healthz
	expect_status 200
	rss_end_idle=$(rss_kb)
	fds_end=$(idle_fds)
fi

echo "soak: samples (seconds, VmRSS KiB, descriptors):"
sed 's/^/  /' "$TMP/samples"

# Healthy: wrk's own line.
LAST_CMD="wrk on the healthy plugs"
RC=$wrk_rc
cp "$TMP/wrk.out" "$OUT"
cp "$TMP/wrk.err" "$ERR"
line=$(grep '^soak-wrk ' "$TMP/wrk.out")
val() {
	printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
check "wrk ran and reported" test "$wrk_rc" -eq 0 -a -n "$line"
h_requests=$(val requests)
h_errors=$(($(val non2xx) + $(val connect) + $(val read) + $(val write) + $(val timeout)))
echo "soak: healthy: ${h_requests:-?} requests, $h_errors errors" \
	"(not 2xx: $(val non2xx): 429 $(val s429), 502 $(val s502), 503 $(val s503)," \
	"504 $(val s504), other $(val sother); sockets: connect $(val connect), read $(val read)," \
	"write $(val write), timeout $(val timeout)); latency p50 $(val p50_ms) ms," \
	"p99 $(val p99_ms) ms, max $(val max_ms) ms"
check "every answer from a healthy plug was 2xx ($h_errors errors)" [ "$h_errors" -eq 0 ]

# Faulty: the curl loops.
cat "$TMP"/f.* >"$TMP/faulty"
LAST_CMD="the curl loops on the faulty plugs"
cp "$TMP/faulty" "$OUT"
: >"$ERR"
fcount() {
	awk "$1 { n++ } END { print n + 0 }" "$TMP/faulty"
}
f_requests=$(fcount 1)
f_bad=$(fcount '!($2 == 0 && ($1 == 200 || $1 == 502 || $1 == 504))')
echo "soak: faulty: $f_requests requests: $(fcount '$1 == 502') x 502, $(fcount '$1 == 504') x 504," \
	"$(fcount '$1 == 200') x 200, $f_bad other (no answer, or another status)"
for name in $(printf '%s\n' "$FAULTY" | awk '{ print $1 }'); do
	echo "  $name: $(awk '{ n[$1]++ } END { for (s in n) printf " %s x %d", s, n[s] }' "$TMP/f.$name")"
done
check "every answer from a faulty plug was 200, 502 or 504, and came ($f_bad not)" [ "$f_bad" -eq 0 ]

# Memory: after warm-up against the end, both under load.
rss_warm=$(awk -v w="$SOAK_WARMUP" '$1 >= w { print $2; exit }' "$TMP/samples")
rss_end=$(tail -n 1 "$TMP/samples" | awk '{ print $2 }')
echo "soak: RSS: start ${rss_start} KiB (idle), after ${SOAK_WARMUP} s ${rss_warm:-?} KiB," \
	"end ${rss_end:-?} KiB (under load), ${rss_end_idle:-?} KiB (idle after)"
LAST_CMD="kasad's VmRSS"
cp "$TMP/samples" "$OUT"
check "RSS grew by $((${rss_end:-0} - ${rss_warm:-0})) KiB after warm-up, at most $SOAK_RSS_GROWTH_KB" \
	test -n "$rss_warm" -a -n "$rss_end" -a $((${rss_end:-0} - ${rss_warm:-0})) -le "$SOAK_RSS_GROWTH_KB"

# Descriptors: idle before against idle after.
echo "soak: descriptors: start ${fds_start} (idle), end ${fds_end:-?} (idle after)," \
	"most $(awk 'm == "" || $3 > m { m = $3 } END { print m }' "$TMP/samples") (under load)"
LAST_CMD="kasad's open descriptors"
check "descriptors: ${fds_end:-?} after, ${fds_start} before (slack $SOAK_FD_SLACK)" \
	test -n "$fds_end" -a "${fds_end:-0}" -le $((fds_start + SOAK_FD_SLACK))

kasad_stop
LAST_CMD="kasad_stop"
cp "$TMP/kasad.stderr" "$ERR"
check "kasad exits 0 after the soak (exit $KASAD_RC)" [ "$KASAD_RC" -eq 0 ]

finish
