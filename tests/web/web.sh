# Helpers for the dashboard's tests (POSIX sh), on top of
# tests/common.sh and tests/daemon/kasad.sh: bounded waits, event
# streams read by curl in the background, and a headless Chromium driven by
# tests/web/cdp.
#
# Descriptors: common.sh gives 3.. to emulators and kasad.sh 9 to kasad; cdp
# takes 7 (its commands) and 8 (its answers), so a script here starts at
# most four emulators.

CDP=${CDP:-$top_builddir/tests/web/cdp}

# wait_until MS CMD...: run CMD every 50 ms until it succeeds, for at most
# MS milliseconds.  Returns CMD's last status.
wait_until() {
	_deadline=$(($(now_ms) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -lt "$_deadline" ] || return 1
		sleep 0.05
	done
}

# stream_start NAME [CURL-ARGS...]: read GET /events with curl in the
# background; the body goes to $TMP/NAME.events, the headers to
# $TMP/NAME.headers, curl's exit status (when it ends) to $TMP/NAME.rc.
stream_start() {
	_n=$1
	shift
	: >"$TMP/$_n.events"
	rm -f "$TMP/$_n.rc" "$TMP/$_n.pid"
	(
		curl -sS -N -m 120 -D "$TMP/$_n.headers" -o "$TMP/$_n.events" "$@" \
			"$KASAD_URL/events" 2>"$TMP/$_n.err" &
		echo $! >"$TMP/$_n.pid"
		wait $!
		echo $? >"$TMP/$_n.rc"
	) 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
}

# stream_kill NAME...: end those streams' curl (the client leaves).
stream_kill() {
	for _n in "$@"; do
		wait_until 5000 test -s "$TMP/$_n.pid" && kill "$(cat "$TMP/$_n.pid")" 2>/dev/null
	done
	return 0
}

# stream_has NAME REGEX: a line of the stream so far matches.
stream_has() {
	grep -Eq -- "$2" "$TMP/$1.events"
}

# stream_count NAME REGEX: how many lines match.
stream_count() {
	grep -Ec -- "$2" "$TMP/$1.events"
}

# stream_ended NAME: curl has exited.
stream_ended() {
	[ -s "$TMP/$1.rc" ]
}

# log_has REGEX: kasad's stderr has a matching line.
log_has() {
	grep -Eq -- "$1" "$TMP/kasad.stderr"
}

# write_tokens FILE LINE...: a tokens file only its owner reads, as kasad
# wants it.
write_tokens() {
	_f=$1
	shift
	(
		umask 077
		printf '%s\n' "$@" >"$_f"
	)
	chmod 600 "$_f"
}

# auth_supported: this kasad knows the tokens key (authentication).
auth_supported() {
	write_tokens "$TMP/probe.tokens" 'read 0123456789abcdef0123'
	printf '[kasad]\nlisten = 127.0.0.1:0\ntokens = %s\n' "$TMP/probe.tokens" \
		>"$TMP/probe.conf"
	"$KASAD" --check-config -c "$TMP/probe.conf" >/dev/null 2>&1
}

# --- Chromium -----------------------------------------------------------------

# find_chromium: CHROMIUM, or Debian's chromium on the PATH.
find_chromium() {
	if [ -n "${CHROMIUM:-}" ]; then
		echo "$CHROMIUM"
		return
	fi
	for _c in chromium chromium-browser; do
		if command -v "$_c" >/dev/null 2>&1; then
			command -v "$_c"
			return
		fi
	done
}

cdp_running=no

# cdp_start WIDTH HEIGHT: start Chromium under cdp and wait for "ready".
cdp_start() {
	[ -x "$CDP" ] || skip "$CDP is not built"
	_chromium=$(find_chromium)
	[ -n "$_chromium" ] || skip "chromium is not installed (apt-get install chromium)"
	mkdir -p "$TMP/profile"
	rm -f "$TMP/cdp.in" "$TMP/cdp.out"
	mkfifo "$TMP/cdp.in" "$TMP/cdp.out" || hard_error "mkfifo failed"
	"$CDP" -c "$_chromium" -d "$TMP/profile" -s "$1x$2" -t 240 <"$TMP/cdp.in" \
		>"$TMP/cdp.out" 2>"$TMP/cdp.stderr" 3<&- 4<&- 5<&- 6<&- 9<&- &
	CDP_PID=$!
	exec 7>"$TMP/cdp.in" 8<"$TMP/cdp.out"
	cdp_running=yes
	IFS= read -r _a <&8
	if [ "$_a" != ready ]; then
		cat "$TMP/cdp.stderr" >&2
		# As root (CI) it runs without its sandbox, and must start; a user's
		# sandbox may need what this machine does not allow.
		[ "$(id -u)" = 0 ] || skip "chromium did not start as uid $(id -u) (its stderr" \
			"is above; its sandbox may need unprivileged user namespaces)"
		hard_error "Chromium did not start under cdp"
	fi
}

cdp_stop() {
	[ "$cdp_running" = yes ] || return 0
	printf 'quit\n' >&7
	IFS= read -r _a <&8
	exec 7>&- 8<&-
	wait "$CDP_PID" 2>/dev/null
	cdp_running=no
}

cdp_cleanup() {
	in_main_shell || return 0
	if [ "$cdp_running" = yes ]; then
		exec 7>&- 8<&-
		kill "$CDP_PID" 2>/dev/null
		wait "$CDP_PID" 2>/dev/null
		cdp_running=no
	fi
}
trap 'cdp_cleanup; kasad_cleanup; cleanup' EXIT

# page COMMAND: one command to cdp (see tests/web/cdp.c).  PAGE is the
# answer's value, PAGE_RC 0 for "ok" and 1 for "error"; the answer is in
# $OUT and the end of cdp's stderr in $ERR for a failure's report.
page() {
	LAST_CMD="page: $*"
	_t0=$(now_ms)
	printf '%s\n' "$*" >&7
	IFS= read -r _a <&8 || _a="error cdp has exited"
	ELAPSED_MS=$(($(now_ms) - _t0))
	case $_a in
	ok) PAGE= PAGE_RC=0 ;;
	"ok "*) PAGE=${_a#ok } PAGE_RC=0 ;;
	*) PAGE=${_a#error } PAGE_RC=1 ;;
	esac
	RC=$PAGE_RC
	printf '%s\n' "$_a" >"$OUT"
	tail -n 20 "$TMP/cdp.stderr" >"$ERR"
}

# expect_page DESCRIPTION COMMAND: the command answers "ok" (for wait: the
# expression came true in time).
expect_page() {
	_d=$1
	shift
	page "$@"
	checks=$((checks + 1))
	if [ "$PAGE_RC" -eq 0 ]; then
		_pass "$_d"
	else
		_fail "$_d"
	fi
}
