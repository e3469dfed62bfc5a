# Helpers for the documentation's tests (POSIX sh), on top of
# tests/common.sh and tests/daemon/kasad.sh.

# house_start TOKENS-FILE: kasad, with TOKENS-FILE, in front of four
# emulated plugs under the names the documentation's examples use
# (docs/API.md, contrib/, the README): lamp, kettle, strip, desk-lamp (the
# strip's outlet 2) and hall, a dimmer.
house_start() {
	emu_start hs100,alias=Lamp hs110v4,alias=Kettle,state=on,power=1500 hs300,alias=Strip \
		hs220,alias=Hall,state=on,brightness=60
	kasad_config "$TMP/kasad.conf" "tokens = $1" \
		'[device "lamp"]' 'host = 127.0.0.1' "port = $(emu_port 0)" \
		'[device "kettle"]' 'host = 127.0.0.1' "port = $(emu_port 1)" \
		'[device "strip"]' 'host = 127.0.0.1' "port = $(emu_port 2)" \
		'[device "desk-lamp"]' 'host = 127.0.0.1' "port = $(emu_port 2)" 'outlet = 2' \
		'[device "hall"]' 'host = 127.0.0.1' "port = $(emu_port 3)"
	kasad_start "$TMP/kasad.conf"
}
