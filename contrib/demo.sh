#!/bin/sh
# The demo: three emulated plugs on loopback, driven with kasactl.
# Usage: contrib/demo.sh [BUILDDIR]   (default: the current directory)
set -eu
build=${1:-.}
emu=$build/tools/emu/kasa-emu
ctl=$build/tools/kasactl
[ -x "$emu" ] && [ -x "$ctl" ] || { echo "demo: build first (make)" >&2; exit 1; }

dir=$(mktemp -d)
emu_pid=
cleanup() {
	[ -n "$emu_pid" ] && kill "$emu_pid" 2>/dev/null && wait "$emu_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM

mkfifo "$dir/out"
"$emu" -p 0 hs100,alias=Lamp hs110v1,alias=Kettle,state=on hs300,alias=Strip >"$dir/out" &
emu_pid=$!
exec 3<"$dir/out"
while IFS= read -r line <&3; do
	case $line in
	ready) break ;;
	device*) set -- $line; eval "port_$2=\${4##*:}" ;;
	esac
done
[ -n "${port_2:-}" ] || { echo "demo: kasa-emu did not start" >&2; exit 1; }

run() {
	printf '\n$ kasactl %s\n' "$*"
	"$ctl" "$@"
}

echo "Three emulated plugs on 127.0.0.1: an HS100 (port $port_0), an HS110 (port $port_1)"
echo "and an HS300 power strip (port $port_2)."
run "127.0.0.1:$port_0" status
run "127.0.0.1:$port_0" on
run "127.0.0.1:$port_0" check
run "127.0.0.1:$port_1" emeter
run "127.0.0.1:$port_1" off
run "127.0.0.1:$port_1" emeter
run --outlet 2 "127.0.0.1:$port_2" on
run "127.0.0.1:$port_2" status
run discover --broadcast "127.0.0.1:$port_1" --timeout 1
query='{"system":{"get_sysinfo":{}}}'
printf "\n\$ printf '%%s' '%s' | kasactl encode --base64\n" "$query"
printf '%s' "$query" | "$ctl" encode --base64
