# Helpers for the MQTT bridge's tests (POSIX sh), on top of tests/common.sh
# and tests/daemon/kasad.sh: a mosquitto of the test's own on 127.0.0.1
# (a free port, its own configuration, no persistence), and mqtt-probe and
# mosquitto_sub/_pub to watch and command.
#
# A script sources tests/common.sh, tests/daemon/kasad.sh, then this file.

MQTT_PROBE=${MQTT_PROBE:-$top_builddir/tests/daemon/mqtt-probe}
[ -x "$MQTT_PROBE" ] || skip "$MQTT_PROBE is not built"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$MOSQUITTO" ] || skip "mosquitto is not installed"
command -v mosquitto_sub >/dev/null 2>&1 || skip "mosquitto_sub is not installed"
command -v mosquitto_pub >/dev/null 2>&1 || skip "mosquitto_pub is not installed"
command -v jq >/dev/null 2>&1 || skip "jq is not installed"

BROKER_PID=
BROKER_PORT=
broker_n=0

mqtt_cleanup() {
	in_main_shell || return 0
	[ -n "$BROKER_PID" ] && kill -KILL "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
	BROKER_PID=
}
trap 'mqtt_cleanup; kasad_cleanup; cleanup' EXIT

# broker_start [PORT [CONFIG-LINES...]]: start mosquitto on 127.0.0.1:PORT
# (none or "": a free one, tried until one is), with the lines after the
# listener's, and wait for it to say it runs (its log, on stderr, through a FIFO).
broker_start() {
	_want=${1:-}
	[ $# -gt 0 ] && shift
	_tries=0
	while :; do
		_tries=$((_tries + 1))
		[ "$_tries" -le 20 ] || hard_error "mosquitto found no free port: $(cat "$_dir/log" 2>/dev/null)"
		BROKER_PORT=${_want:-$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))}
		broker_n=$((broker_n + 1))
		_dir=$TMP/broker$broker_n
		mkdir -p "$_dir"
		{
			echo "listener $BROKER_PORT 127.0.0.1"
			for _l in "$@"; do
				echo "$_l"
			done
			echo "allow_anonymous ${BROKER_ANONYMOUS:-true}"
			echo "persistence false"
			# As root it would become the user mosquitto, who cannot read
			# the test's files.
			echo "user $(id -un)"
			# stderr: unbuffered, where stdout to a FIFO would hold
			# "running" in its buffer.
			echo "log_dest stderr"
			echo "log_type error"
			echo "log_type warning"
			echo "log_type notice"
			echo "log_type information"
		} >"$_dir/mosquitto.conf"
		mkfifo "$_dir/fifo"
		"$MOSQUITTO" -c "$_dir/mosquitto.conf" >/dev/null 2>"$_dir/fifo" 3<&- 4<&- 5<&- 6<&- \
			7<&- 8<&- 9<&- &
		BROKER_PID=$!
		_state=
		while IFS= read -r _line; do
			echo "$_line" >>"$_dir/log"
			case $_line in
			*" running"*)
				_state=up
				break
				;;
			*"Address already in use"* | *Error*)
				_state=busy
				break
				;;
			esac
		done <"$_dir/fifo" &
		_reader=$!
		# The reader ends at "running", or when mosquitto exits (end of file).
		wait "$_reader"
		if grep -q ' running' "$_dir/log"; then
			# Keep draining its log, or it blocks on a full pipe.
			cat "$_dir/fifo" >>"$_dir/log" 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&- &
			return 0
		fi
		kill "$BROKER_PID" 2>/dev/null
		wait "$BROKER_PID" 2>/dev/null
		BROKER_PID=
		# Another port, if this one was taken and none was asked for.
		if [ -n "$_want" ] || ! grep -q 'in use' "$_dir/log"; then
			hard_error "mosquitto did not start: $(cat "$_dir/log")"
		fi
	done
}

# broker_stop [SIGNAL]: stop the broker (TERM by default) and wait.
broker_stop() {
	[ -n "$BROKER_PID" ] || return 0
	kill "-${1:-TERM}" "$BROKER_PID" 2>/dev/null
	wait "$BROKER_PID" 2>/dev/null
	BROKER_PID=
}

# mq_wait FILTER REGEX [SECONDS]: the first message on FILTER (retained
# too) whose "TOPIC PAYLOAD" matches REGEX, in $OUT; RC 0, or 1 when none
# came in time.
mq_wait() {
	run "$MQTT_PROBE" "$BROKER_PORT" wait "$1" "$2" "$(scaled "${3:-10}")"
	LAST_CMD="wait on $1 for /$2/"
}

# expect_mq FILTER REGEX [SECONDS]: mq_wait, as a check.
expect_mq() {
	mq_wait "$@"
	checks=$((checks + 1))
	if [ "$RC" -eq 0 ]; then
		_pass "$1 ~ /$2/"
	else
		_fail "no message on $1 ~ /$2/ in time"
	fi
}

# mq_retained FILTER: every retained message on FILTER, "TOPIC PAYLOAD"
# lines in $OUT (those the broker holds: it sends them at once, then
# nothing comes for a second).
mq_retained() {
	run mosquitto_sub -p "$BROKER_PORT" -h 127.0.0.1 -v -t "$1" --retained-only -W 1
	LAST_CMD="retained on $1"
}

# mq_pub TOPIC PAYLOAD [ARGS]: publish once (not retained unless ARGS say).
mq_pub() {
	_t=$1
	_m=$2
	shift 2
	mosquitto_pub -p "$BROKER_PORT" -h 127.0.0.1 -t "$_t" -m "$_m" "$@"
}

# mqtt_conf [BASE [LINES...]]: an [mqtt] section for the test's broker.
mqtt_conf() {
	_b=${1:-kasad}
	[ $# -gt 0 ] && shift
	printf '%s\n' "[mqtt]" "broker = 127.0.0.1:$BROKER_PORT" "topic = $_b" "$@"
}
