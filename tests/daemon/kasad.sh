# Helpers for the daemon's integration tests (POSIX sh), on top of
# tests/common.sh: start kasad under notify-run (which plays
# systemd's side of sd_notify), wait for READY=1, learn the address from
# its STATUS, and talk to it with curl.
#
# A script sources tests/common.sh, then this file.

KASAD=${KASAD:-$top_builddir/daemon/kasad}
NOTIFY_RUN=${NOTIFY_RUN:-$top_builddir/tests/daemon/notify-run}
HTTP_RAW=${HTTP_RAW:-$top_builddir/tests/daemon/http-raw}
[ -x "$KASAD" ] || skip "$KASAD is not built"
[ -x "$NOTIFY_RUN" ] || skip "$NOTIFY_RUN is not built"
[ -x "$HTTP_RAW" ] || skip "$HTTP_RAW is not built"
command -v curl >/dev/null 2>&1 || skip "curl is not installed"

KASAD_PID=
KASAD_URL=
kasad_running=no

kasad_cleanup() {
	in_main_shell || return 0
	if [ "$kasad_running" = yes ]; then
		kill -KILL "$KASAD_PID" 2>/dev/null
		wait "$KASAD_RUN_PID" 2>/dev/null
		kasad_running=no
	fi
}
trap 'kasad_cleanup; cleanup' EXIT

# kasad_config FILE [DEVICE-LINES...]: write a configuration listening on an
# ephemeral loopback port, with short timeouts (tests wait on them), then
# whatever else the arguments say, one line each.
kasad_config() {
	_f=$1
	shift
	{
		echo "[kasad]"
		echo "listen = 127.0.0.1:0"
		echo "request_timeout = ${KASAD_TIMEOUT:-2s}"
		echo "poll_interval = ${KASAD_POLL:-off}"
		# The tests switch plugs far faster than anyone should: no limits
		# unless a test asks for them.
		echo "client_rate = ${KASAD_CLIENT_RATE:-0}"
		echo "switch_rate = ${KASAD_SWITCH_RATE:-0}"
		for _l in "$@"; do
			echo "$_l"
		done
	} >"$_f"
}

# _notify_wait REGEX: read notify-run's lines (fd 9) until one matches;
# the matching line is left in NOTIFY_LINE.  A watchdog kills kasad if
# nothing matches within READY_S seconds, which ends the stream.
_notify_wait() {
	(
		trap 'kill "$_sleep" 2>/dev/null; exit 0' USR1
		sleep "$READY_S" &
		_sleep=$!
		wait "$_sleep" && kill -KILL "$KASAD_PID" 2>/dev/null
	) >/dev/null 2>&1 &
	_watchdog=$!
	NOTIFY_LINE=
	_found=no
	while IFS= read -r _line <&9; do
		echo "$_line" >>"$TMP/kasad.notify"
		case $_line in
		pid\ *) KASAD_PID=${_line#pid } ;;
		esac
		if printf '%s\n' "$_line" | grep -Eq -- "$1"; then
			NOTIFY_LINE=$_line
			_found=yes
			break
		fi
	done
	kill -USR1 "$_watchdog" 2>/dev/null
	wait "$_watchdog" 2>/dev/null
	[ "$_found" = yes ]
}

# kasad_start CONFIG [ARGS]: start kasad and wait for READY=1.  Sets
# KASAD_PID, KASAD_URL (http://ADDR:PORT) and KASAD_RUN_PID (notify-run).
kasad_start() {
	kasad_try_start "$@" || {
		echo "kasad did not become ready; its stderr:" >&2
		cat "$TMP/kasad.stderr" >&2
		hard_error "kasad failed to start"
	}
}

kasad_try_start() {
	rm -f "$TMP/kasad.fifo"
	mkfifo "$TMP/kasad.fifo" || hard_error "mkfifo failed"
	: >"$TMP/kasad.notify"
	"$NOTIFY_RUN" -t "$(scaled_int 120)" -- "$KASAD" -c "$@" >"$TMP/kasad.fifo" 2>"$TMP/kasad.stderr" \
		3<&- 4<&- 5<&- 6<&- 7<&- 8<&- &
	KASAD_RUN_PID=$!
	exec 9<"$TMP/kasad.fifo"
	kasad_running=yes
	_notify_wait '^notify READY=1' || return 1
	# READY=1 comes in one datagram with the STATUS that names the address.
	_notify_wait '^notify STATUS=Listening on ' || return 1
	_addr=${NOTIFY_LINE#notify STATUS=Listening on }
	KASAD_URL=http://${_addr%%;*}
}

# kasad_signal SIG: send a signal to kasad.
kasad_signal() {
	kill "-$1" "$KASAD_PID"
}

# kasad_stop: SIGTERM, then wait; KASAD_RC is kasad's exit status (as
# notify-run reports it).  The rest of the notify stream is in
# $TMP/kasad.notify.
kasad_stop() {
	kill -TERM "$KASAD_PID" 2>/dev/null
	kasad_wait
}

# kasad_wait: wait for kasad to exit by itself.
kasad_wait() {
	wait "$KASAD_RUN_PID"
	KASAD_RC=$?
	cat <&9 >>"$TMP/kasad.notify"
	exec 9<&-
	kasad_running=no
}

# api METHOD PATH [BODY|- [CURL-ARGS...]]: one request, with curl ("-": no body).
# of the answer goes to $OUT, its headers to $TMP/headers, the status code
# to HTTP_STATUS, the time taken to ELAPSED_MS.
api() {
	_m=$1
	_p=$2
	shift 2
	LAST_CMD="$_m $_p"
	if [ $# -gt 0 ] && [ "$1" = - ]; then
		shift # no body; curl arguments follow
	elif [ $# -gt 0 ]; then
		_b=$1
		shift
		LAST_CMD="$LAST_CMD <<< $_b"
		set -- --data-binary "$_b" "$@"
	fi
	[ $# -gt 0 ] && LAST_CMD="$LAST_CMD ($*)"
	# Nothing of the previous answer may pass for this one.
	: >"$OUT"
	: >"$TMP/headers"
	_t0=$(now_ms)
	HTTP_STATUS=$(curl -sS -m "$GUARD_S" -o "$OUT" -D "$TMP/headers" -w '%{http_code}' \
		-X "$_m" "$@" "$KASAD_URL$_p" 2>"$ERR" 9<&-)
	RC=$?
	ELAPSED_MS=$(($(now_ms) - _t0))
}

# expect_status CODE: the last api call answered CODE.
expect_status() {
	checks=$((checks + 1))
	if [ "$HTTP_STATUS" = "$1" ]; then
		_pass "HTTP $1: $LAST_CMD"
	else
		_fail "expected HTTP $1, got '$HTTP_STATUS'"
	fi
}

# expect_header REGEX: a header line of the last answer matches.
expect_header() {
	checks=$((checks + 1))
	if tr -d '\r' <"$TMP/headers" | grep -Eiq -- "$1"; then
		_pass "header ~ /$1/"
	else
		_fail "no header matches /$1/"
	fi
}

# raw REQUEST [HTTP-RAW-ARGS...]: send REQUEST (printf's format: \r\n and
# the like) as it is to kasad with http-raw, and read until kasad closes;
# what came back goes to $OUT, as run does.
raw() {
	_req=$1
	shift
	printf "$_req" >"$TMP/raw.request"
	RUN_STDIN=$TMP/raw.request run "$HTTP_RAW" "$@" "${KASAD_URL##*:}"
	LAST_CMD="http-raw $* <<< $_req"
}
