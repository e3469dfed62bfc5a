# Shared helpers for the test scripts (POSIX sh; sourced by each *.test).
#
# The test driver runs each script with top_builddir and top_srcdir in the
# environment (tests/Makefile.inc).  A script sources this file,
# starts emulated plugs with emu_start, runs commands with run, checks them
# with the expect_* helpers and ends with finish.  Nothing here sleeps to wait
# for readiness: kasa-emu prints "ready" once it listens.
#
# Exit codes of a script: 0 pass, 1 fail, 77 skip, 99 hard error.

: "${top_builddir:?top_builddir must be set (run through make check)}"
: "${top_srcdir:=$top_builddir}"

KASACTL=${KASACTL:-$top_builddir/tools/kasactl}
KASA_EMU=${KASA_EMU:-$top_builddir/tools/emu/kasa-emu}

# TIME_SCALE stretches every upper time bound of the scripts (expect_within,
# scaled, the guards below) by one factor: `make check-valgrind` sets it, as
# the binaries run many times slower under memcheck.  Lower bounds (a
# timeout really waited) stay as they are.
TIME_SCALE=${TIME_SCALE:-1}
case $TIME_SCALE in
'' | *[!0-9.]* | .* | *.*.*)
	echo "ERROR: TIME_SCALE must be a positive number, not '$TIME_SCALE'" >&2
	exit 99
	;;
esac

# scaled SECONDS: SECONDS times TIME_SCALE (fractions ok, printed as such).
scaled() {
	awk -v s="$1" -v k="$TIME_SCALE" 'BEGIN { printf "%g", s * k }'
}

# scaled_int N: N times TIME_SCALE, rounded up to a whole number.
scaled_int() {
	awk -v s="$1" -v k="$TIME_SCALE" 'BEGIN { v = s * k; r = int(v); print (r < v ? r + 1 : r) }'
}

# A command that hangs past this is a failure of its own, not a stuck suite.
GUARD_S=$(scaled_int "${GUARD_S:-30}")
# How long kasa-emu may take to say "ready".
READY_S=$(scaled_int 10)

test_name=$(basename "$0" .test)
# Names the valgrind logs of the binaries this script runs (check-valgrind).
KASA_TEST=$test_name
export KASA_TEST
failures=0
checks=0
emu_count=0

skip() {
	echo "SKIP: $test_name: $*"
	exit 77
}

hard_error() {
	echo "ERROR: $test_name: $*" >&2
	exit 99
}

[ -x "$KASACTL" ] || skip "$KASACTL is not built"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kasa-it.XXXXXX") || hard_error "mktemp failed"

# The script's own process.  A shell forked to run something in the
# background (a subshell, or a command before its exec) carries the script's
# traps for a moment; signalled then, it would run them, and the EXIT trap
# would clean up under the script's feet.  The traps act in this process only.
main_pid=$(exec sh -c 'echo $PPID')
in_main_shell() {
	[ "$(exec sh -c 'echo $PPID')" = "$main_pid" ]
}

cleanup() {
	in_main_shell || return 0
	i=1
	while [ "$i" -le "$emu_count" ]; do
		emu_stop "$i" >/dev/null 2>&1
		i=$((i + 1))
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# --- kasa-emu --------------------------------------------------------------

# emu_start [kasa-emu args and SPECs]: start one emulator process on
# ephemeral ports and wait (at most READY_S) for its "ready" line.  Sets
# EMU (its number, for emu_addr & co.).  Up to 6 per script: each keeps a
# descriptor (3..8) on the read end of its stdout FIFO, so that its final
# "stats" lines can be read once it exits.
emu_start() {
	emu_try_start "$@" || hard_error "kasa-emu failed to start"
}

# emu_try_start: emu_start, but a failure to start returns 1 (with the
# emulator's stderr shown) instead of ending the test.  Later options win,
# so "-p PORT" picks a fixed port.
emu_try_start() {
	[ -x "$KASA_EMU" ] || skip "$KASA_EMU is not built"
	[ "$emu_count" -lt 6 ] || hard_error "too many emulators in one test"
	emu_count=$((emu_count + 1))
	EMU=$emu_count
	_dir=$TMP/emu$EMU
	mkdir "$_dir" || hard_error "mkdir $_dir"
	mkfifo "$_dir/fifo" || hard_error "mkfifo failed"
	"$KASA_EMU" -a 127.0.0.1 -p 0 "$@" >"$_dir/fifo" 2>"$_dir/stderr" 3<&- 4<&- 5<&- 6<&- \
		7<&- 8<&- &
	echo $! >"$_dir/pid"
	_fd=$((EMU + 2))
	eval "exec $_fd<\"\$_dir/fifo\""
	# A watchdog bounds the wait: killing the emulator closes the FIFO, so
	# the read below sees end of file instead of blocking forever.
	(
		trap 'kill "$_sleep" 2>/dev/null; exit 0' USR1
		sleep "$READY_S" &
		_sleep=$!
		wait "$_sleep" && kill "$(cat "$_dir/pid")" 2>/dev/null
	) >/dev/null 2>&1 &
	_watchdog=$!
	: >"$_dir/devices"
	_ready=no
	_line=
	while eval "IFS= read -r _line <&$_fd"; do
		case $_line in
		"device "*) echo "$_line" >>"$_dir/devices" ;;
		"discovery "*) echo "${_line#discovery }" >"$_dir/discovery" ;;
		ready)
			_ready=yes
			break
			;;
		esac
	done
	kill -USR1 "$_watchdog" 2>/dev/null
	wait "$_watchdog" 2>/dev/null
	if [ "$_ready" != yes ]; then
		echo "kasa-emu $* exited or did not print 'ready' within ${READY_S} s; its stderr:" >&2
		cat "$_dir/stderr" >&2
		return 1
	fi
}

# emu_addr INDEX [EMU]: "127.0.0.1:PORT" of device INDEX (0-based).
emu_addr() {
	awk -v i="$1" '$1 == "device" && $2 == i { print $4; exit }' \
		"$TMP/emu${2:-$EMU}/devices"
}

emu_port() {
	_a=$(emu_addr "$@")
	echo "${_a##*:}"
}

# emu_discovery [EMU]: "127.0.0.1:PORT" where the emulator answers the
# discovery of KLAP firmware (its -u option; "" without it).
emu_discovery() {
	cat "$TMP/emu${1:-$EMU}/discovery" 2>/dev/null
}

emu_discovery_port() {
	_a=$(emu_discovery "$@")
	echo "${_a##*:}"
}

emu_device_id() {
	awk -v i="$1" '$1 == "device" && $2 == i { print $5; exit }' \
		"$TMP/emu${2:-$EMU}/devices"
}

# emu_stop [EMU]: SIGTERM, wait for it, keep its stats in $TMP/emuN/stats.
# Returns the emulator's exit status.
emu_stop() {
	_n=${1:-$EMU}
	_dir=$TMP/emu$_n
	[ -f "$_dir/pid" ] || return 0
	_pid=$(cat "$_dir/pid")
	rm -f "$_dir/pid"
	kill -TERM "$_pid" 2>/dev/null
	# Read its last lines while it writes them (thousands of devices'
	# stats do not fit the FIFO), then wait for it.
	_fd=$((_n + 2))
	eval "cat <&$_fd >\"\$_dir/stats\"; exec $_fd<&-"
	wait "$_pid"
	return $?
}

# emu_stat INDEX KEY [EMU]: a value from the stats lines (after emu_stop).
emu_stat() {
	awk -v i="$1" -v k="$2" '$1 == "stats" && $2 == i {
		for (f = 3; f <= NF; f++) { split($f, kv, "="); if (kv[1] == k) print kv[2] }
	}' "$TMP/emu${3:-$EMU}/stats"
}

# emu_live_stat INDEX KEY [EMU]: a stats value of a running emulator.
# SIGUSR1 makes kasa-emu print one stats line per device on its stdout (the
# FIFO that emu_start reads); read exactly that many lines back.
emu_live_stat() {
	_n=${3:-$EMU}
	_count=$(wc -l <"$TMP/emu$_n/devices")
	kill -USR1 "$(cat "$TMP/emu$_n/pid")" || return 1
	_fd=$((_n + 2))
	_v=
	_k=0
	while [ "$_k" -lt "$_count" ]; do
		eval "IFS= read -r _line <&$_fd" || return 1
		_v=$(printf '%s\n' "$_line" | awk -v i="$1" -v k="$2" '$1 == "stats" && $2 == i {
			for (f = 3; f <= NF; f++) { split($f, kv, "="); if (kv[1] == k) print kv[2] }
		}')${_v}
		_k=$((_k + 1))
	done
	echo "$_v"
}

# emu_live_stats [EMU]: the stats lines of every device of a running
# emulator, from one SIGUSR1.
emu_live_stats() {
	_n=${1:-$EMU}
	_count=$(wc -l <"$TMP/emu$_n/devices")
	kill -USR1 "$(cat "$TMP/emu$_n/pid")" || return 1
	_k=0
	while [ "$_k" -lt "$_count" ]; do
		eval "IFS= read -r _line <&$((_n + 2))" || return 1
		printf '%s\n' "$_line"
		_k=$((_k + 1))
	done
}

# --- Running and checking ---------------------------------------------------

# run CMD [ARGS]: run with stdin from /dev/null (or $RUN_STDIN), keep stdout
# in $OUT (file), stderr in $ERR (file), the exit status in RC and the wall
# time in ELAPSED_MS.  A guard kills it after GUARD_S seconds.
OUT=$TMP/out
ERR=$TMP/err
run() {
	LAST_CMD=$*
	_t0=$(now_ms)
	# The emulators' FIFOs (3..8) are none of the command's business.
	if command -v timeout >/dev/null 2>&1; then
		timeout -k 2 "$GUARD_S" "$@" <"${RUN_STDIN:-/dev/null}" >"$OUT" 2>"$ERR" \
			3<&- 4<&- 5<&- 6<&- 7<&- 8<&-
	else
		"$@" <"${RUN_STDIN:-/dev/null}" >"$OUT" 2>"$ERR" 3<&- 4<&- 5<&- 6<&- 7<&- 8<&-
	fi
	RC=$?
	ELAPSED_MS=$(($(now_ms) - _t0))
	RUN_STDIN=
}

# kasactl ARGS: run "$KASACTL ARGS".
kasactl() {
	run "$KASACTL" "$@"
}

_fail() {
	failures=$((failures + 1))
	echo "FAIL: $*"
	echo "  command: $LAST_CMD"
	echo "  exit status: $RC, ${ELAPSED_MS} ms"
	echo "  stdout:"
	sed 's/^/    | /' "$OUT"
	echo "  stderr:"
	sed 's/^/    | /' "$ERR"
}

_pass() {
	echo "ok: $*"
}

expect_rc() {
	checks=$((checks + 1))
	if [ "$RC" -eq "$1" ]; then
		_pass "exit $1: $LAST_CMD"
	else
		_fail "expected exit status $1"
	fi
}

# expect_out REGEX: stdout has a line matching the extended regex.
expect_out() {
	checks=$((checks + 1))
	if grep -Eq -- "$1" "$OUT"; then
		_pass "stdout ~ /$1/"
	else
		_fail "stdout does not match /$1/"
	fi
}

expect_no_out() {
	checks=$((checks + 1))
	if grep -Eq -- "$1" "$OUT"; then
		_fail "stdout unexpectedly matches /$1/"
	else
		_pass "stdout !~ /$1/"
	fi
}

# expect_out_eq TEXT: stdout is exactly TEXT plus a newline.
expect_out_eq() {
	checks=$((checks + 1))
	printf '%s\n' "$1" >"$TMP/expected"
	if cmp -s "$TMP/expected" "$OUT"; then
		_pass "stdout = '$1'"
	else
		_fail "stdout is not exactly '$1'"
	fi
}

expect_err() {
	checks=$((checks + 1))
	if grep -Eq -- "$1" "$ERR"; then
		_pass "stderr ~ /$1/"
	else
		_fail "stderr does not match /$1/"
	fi
}

# expect_err_line: stderr is one single line (the tool's error contract).
expect_err_line() {
	checks=$((checks + 1))
	if [ "$(wc -l <"$ERR")" -eq 1 ]; then
		_pass "stderr is one line"
	else
		_fail "stderr is not exactly one line"
	fi
}

expect_no_err() {
	checks=$((checks + 1))
	if [ -s "$ERR" ]; then
		_fail "stderr is not empty"
	else
		_pass "stderr is empty"
	fi
}

# expect_within SECONDS: the last run finished in time (fractions ok),
# SECONDS stretched by TIME_SCALE.
expect_within() {
	checks=$((checks + 1))
	_limit=$(awk -v s="$1" -v k="$TIME_SCALE" 'BEGIN { printf "%d", s * k * 1000 }')
	if [ "$ELAPSED_MS" -le "$_limit" ]; then
		_pass "finished in ${ELAPSED_MS} ms <= $(scaled "$1") s"
	else
		_fail "took ${ELAPSED_MS} ms, more than $(scaled "$1") s"
	fi
}

# expect_at_least SECONDS: the last run did wait (a timeout really ran).
expect_at_least() {
	checks=$((checks + 1))
	_limit=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
	if [ "$ELAPSED_MS" -ge "$_limit" ]; then
		_pass "took ${ELAPSED_MS} ms >= $1 s"
	else
		_fail "took only ${ELAPSED_MS} ms, less than $1 s"
	fi
}

# check DESCRIPTION COMMAND...: a free-form assertion.
check() {
	_desc=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		_pass "$_desc"
	else
		_fail "$_desc"
	fi
}

# assert DESCRIPTION COMMAND...: check, without the last command's output
# (for a COMMAND that is itself the whole story, such as test or cmp).
assert() {
	_desc=$1
	shift
	checks=$((checks + 1))
	if "$@"; then
		_pass "$_desc"
	else
		failures=$((failures + 1))
		echo "FAIL: $_desc"
	fi
}

# in_range VALUE MIN MAX: VALUE is a number from MIN to MAX.
in_range() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	esac
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}

# hex: stdin as lowercase hex, no spaces or newlines (od, as xxd may be missing).
hex() {
	od -An -v -tx1 | tr -d ' \n'
}

finish() {
	if [ "$checks" -eq 0 ]; then
		echo "FAIL: $test_name: no checks ran"
		exit 1
	fi
	if [ "$failures" -ne 0 ]; then
		echo "FAIL: $test_name: $failures of $checks checks failed"
		exit 1
	fi
	echo "PASS: $test_name: $checks checks"
	exit 0
}
