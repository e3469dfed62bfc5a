#!/bin/sh
# The MQTT bridge's figures (not pass/fail), against a mosquitto of its own:
#  1. the latency from a command published on the broker to the plug
#     switched and its new state published (mqtt-probe latency: median,
#     p99), beside the same switch through HTTP (bench-http switch);
#  2. the state messages kasad publishes a second with PLUGS emulated
#     HS110 plugs polled every second (their meters change at every read,
#     so each poll is a new state).
# Usage: sh tests/bench/bench-mqtt.sh BUILDDIR (make bench runs it).
top_builddir=${1:-${top_builddir:-.}}
top_builddir=$(cd "$top_builddir" && pwd)
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_builddir top_srcdir
ROUNDS=${ROUNDS:-1000}
PLUGS=${PLUGS:-1000}
WINDOW_S=${WINDOW_S:-10}
BENCH_HTTP=$top_builddir/tests/bench/bench-http

. "$top_srcdir/tests/common.sh"
. "$top_srcdir/tests/daemon/kasad.sh"
. "$top_srcdir/tests/daemon/mqtt.sh"
READY_S=30
[ -x "$BENCH_HTTP" ] || hard_error "$BENCH_HTTP is not built (make bench builds it)"

# Nagle's algorithm on the broker's side would add delayed ACK's 40 ms.
echo "MQTT bridge (mosquitto $("$MOSQUITTO" -h 2>/dev/null | sed -n 's/^mosquitto version //p'), loopback)"
broker_start "" "set_tcp_nodelay true"
emu_start hs100,alias=Lamp
KASAD_POLL=off
kasad_config "$TMP/k.conf" '[device "lamp"]' 'host = 127.0.0.1' "port = $(emu_port 0)" \
	"$(mqtt_conf kasad "discovery = no")"
kasad_start "$TMP/k.conf"
mq_wait kasad/lamp/state state >/dev/null
echo "1. command to state, $ROUNDS rounds each:"
printf '   MQTT  (publish B/lamp/set, wait for B/lamp/state): '
"$MQTT_PROBE" "$BROKER_PORT" latency kasad lamp "$ROUNDS"
printf '   HTTP  (POST /devices/lamp/on, keep-alive):          '
"$BENCH_HTTP" switch "${KASAD_URL##*:}" "$ROUNDS" lamp | tail -n 1
kasad_stop
emu_stop

emu_start -n "$PLUGS" hs110v4
i=0
{
	echo "[kasad]"
	echo "listen = 127.0.0.1:0"
	echo "poll_interval = 1s"
	echo "switch_rate = 0"
	while [ "$i" -lt "$PLUGS" ]; do
		printf '[device "p%d"]\nhost = 127.0.0.1\nport = %s\n' "$i" "$(emu_port "$i")"
		i=$((i + 1))
	done
	mqtt_conf kasad
} >"$TMP/big.conf"
kasad_start "$TMP/big.conf"
mq_wait "kasad/p$((PLUGS - 1))/state" state 30 >/dev/null
echo "2. $PLUGS emulated HS110 polled every second, state messages over ${WINDOW_S} s:"
printf '   '
"$MQTT_PROBE" "$BROKER_PORT" count 'kasad/+/state' "$WINDOW_S"
printf '   kasad CPU: '
awk '{ printf "%.1f s user+system after the run\n", ($14 + $15) / 100 }' "/proc/$KASAD_PID/stat"
kasad_stop
