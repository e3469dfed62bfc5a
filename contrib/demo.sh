#!/bin/sh
# The demo: kasad serving five devices that are kasa-emu plugs on loopback
# (an HS100, an HS110 with its meter, an HS300 strip, one outlet of the
# strip as a device of its own, and an HS220 dimmer), and one more plug that
# only discovery finds (unicast to its port: nothing leaves loopback), for
# the dashboard's "Not configured" list.  Both keep running in the
# background, so the curl lines it prints can be tried; `make demo-stop`
# stops them.
#
# Usage: contrib/demo.sh [BUILDDIR]        start (again)
#        contrib/demo.sh [BUILDDIR] stop   stop
# KASAD_DEMO_PORT picks kasad's port (default 8080).
set -eu
build=$(cd "${1:-.}" && pwd)
emu=$build/tools/emu/kasa-emu
kasad=$build/daemon/kasad
dir=$build/demo
port=${KASAD_DEMO_PORT:-8080}
url=http://127.0.0.1:$port

stop() {
	for p in kasad emu; do
		if [ -f "$dir/$p.pid" ]; then
			kill "$(cat "$dir/$p.pid")" 2>/dev/null || true
			rm -f "$dir/$p.pid"
		fi
	done
}

if [ "${2:-}" = stop ]; then
	stop
	echo "demo: stopped"
	exit 0
fi
[ -x "$emu" ] && [ -x "$kasad" ] || { echo "demo: build first (make)" >&2; exit 1; }
command -v curl >/dev/null || { echo "demo: curl is needed (apt-get install curl)" >&2; exit 1; }
stop
mkdir -p "$dir"
rm -f "$dir/emu.ready"

# Started in their own sessions, output to files: they outlive this script
# and hold none of its descriptors.
setsid "$emu" -p 0 -r "$dir/emu.ready" hs100,alias=Lamp hs110v4,alias=Kettle,state=on,power=1850 \
	hs300,alias=Strip hs220,alias=Hall,state=on,brightness=60 hs100,alias=Garage \
	>"$dir/emu.log" 2>&1 </dev/null &
echo $! >"$dir/emu.pid"

# kasa-emu writes the file (renamed into place) once every plug listens.
wait_for() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || { echo "demo: $2 did not start; see $dir" >&2; stop; exit 1; }
		sleep 0.1
	done
}
wait_for '[ -s "$dir/emu.ready" ]' kasa-emu
port_of() { awk -v i="$1" '$1 == "device" && $2 == i { n = split($4, a, ":"); print a[n] }' "$dir/emu.ready"; }

cat >"$dir/kasad.conf" <<EOF
# The demo's configuration: written by contrib/demo.sh.
[kasad]
listen = 127.0.0.1:$port
poll_interval = 5s
# The garage plug is not configured: discovery, unicast, finds it.
discover = 127.0.0.1:$(port_of 4)
discover_klap_port = 0

[device "lamp"]
host = 127.0.0.1
port = $(port_of 0)

[device "kettle"]
host = 127.0.0.1
port = $(port_of 1)

[device "strip"]
host = 127.0.0.1
port = $(port_of 2)

[device "desk-lamp"]
host = 127.0.0.1
port = $(port_of 2)
outlet = 2

[device "hall"]
host = 127.0.0.1
port = $(port_of 3)
EOF

setsid "$kasad" -c "$dir/kasad.conf" >"$dir/kasad.log" 2>&1 </dev/null &
echo $! >"$dir/kasad.pid"
wait_for 'curl -fs "$url/healthz" >/dev/null 2>&1' "kasad on port $port (KASAD_DEMO_PORT picks another)"

show() {
	printf '\n$ curl %s\n' "$*"
	curl -sS "$@"
}
echo "kasad is serving five devices on four emulated plugs at $url (configuration: $dir/kasad.conf)"
show "$url/devices/kettle"
show -X POST "$url/devices/lamp/on"
show "$url/devices/kettle/emeter"
show -X POST "$url/devices/desk-lamp/off"
show "$url/devices/lamp/state"
show -X POST -d 40 "$url/devices/hall/brightness"
echo
cat <<EOF

kasad and kasa-emu keep running (pids $(cat "$dir/kasad.pid") and $(cat "$dir/emu.pid"); logs in $dir). Try:
  curl $url/devices
  curl $url/devices/strip
  curl -X POST $url/devices/kettle/toggle
  curl -X POST -d OFF $url/devices/lamp/state
  curl "$url/devices/kettle/emeter/daily?year=$(date +%Y)&month=$(date +%-m)"
  curl $url/discovered
  curl $url/healthz
Stop them with: make demo-stop
EOF
