# Helpers for the tests of contrib/wireshark/kasa.lua (POSIX sh), on top of
# tests/common.sh.  They run tshark with the dissector loaded and
# with a home of their own, so that a user's preferences or an installed
# copy of the dissector play no part.

DISSECTOR=$top_srcdir/contrib/wireshark/kasa.lua
[ -f "$DISSECTOR" ] || hard_error "$DISSECTOR is missing"
command -v tshark >/dev/null 2>&1 || skip "tshark is not installed (Debian package tshark)"
tshark -v 2>/dev/null | grep -q 'with Lua' || skip "this tshark is built without Lua"
mkdir -p "$TMP/home" || hard_error "mkdir failed"

# ws ARGS: tshark with the dissector, through run ($OUT, $ERR, $RC).
ws() {
	run env HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config" \
		tshark -X "lua_script:$DISSECTOR" "$@"
}

# ws_ok DESCRIPTION: the last ws ran cleanly: exit 0, the dissector loaded,
# and no Lua error anywhere (they end up in the tree, or on stderr at load).
ws_ok() {
	checks=$((checks + 1))
	if [ "$RC" -ne 0 ]; then
		_fail "$1: tshark exited $RC"
	elif grep -Eq 'Lua( Error|:)' "$ERR" "$OUT"; then
		_fail "$1: Lua error"
	else
		_pass "$1: tshark ran the dissector without error"
	fi
}

# text2pcap_lines HEX: HEX as the offset-and-bytes lines text2pcap reads,
# one packet.
text2pcap_lines() {
	printf '%s\n' "$1" | sed 's/../& /g' | fold -w 48 |
		awk '{ printf "%06x %s\n", (NR - 1) * 16, $0 }'
}
