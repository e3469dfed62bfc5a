#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `make check-systemd`: kasad's units under a real systemd, booted as PID 1
# in a container.  tests/daemon/systemd-unit.test checks the units with
# systemd-analyze and systemd-socket-activate; this boots Debian 12 with
# systemd-nspawn, installs the kasad of this tree in it (make install, as
# configured), and checks, one line each:
#
#   1. kasad.service starts (Type=notify: READY=1 and STATUS=) and answers
#   2. kasad.socket starts kasad.service on the first connection
#   3. systemctl reload rereads the configuration
#   4. a frozen kasad is killed by the watchdog and restarted
#   5. DynamicUser= with the tokens as a LoadCredential= credential
#   6. no sandbox denial in the journal, no warning about the units
#   7. the IP firewall (IPAddressDeny=/IPAddressAllow=) is enforced
#   8. systemctl stop ends it cleanly, well within its timeout
#
# then powers the container off; whatever happens, nothing of the run is
# left behind (the EXIT trap).  It prints one line per check and
# "check-systemd: N passed, N failed", and exits 0 when all passed, 1 when
# one failed, 77 (skipped, with the reason) when it cannot run here: not
# root, no systemd-nspawn, debootstrap or nsenter, no Debian archive
# reachable, or a container that cannot boot.  It takes about 20 s
# with the root cached, 40 s more to make the root.
#
# Needs root.  The root is Debian's minbase with the packages below, made
# by debootstrap from the machine's own apt sources (the first one for
# $RELEASE in /etc/apt/sources.list or /etc/apt/sources.list.d/, unless
# $KASAD_CHECK_SYSTEMD_MIRROR names another archive), and kept
# in $KASAD_CHECK_SYSTEMD_CACHE (/var/cache/kasad-check-systemd) under its
# release, architecture and package list; delete it to make a fresh one.
# Each run boots an overlay of it, so the cached root stays as debootstrap
# made it.  The container has a private network: all the test's traffic is
# on its loopback interface.
#
# The Makefile target sets top_builddir and top_srcdir, STAGE (the tree
# installed with DESTDIR), and bindir, sysconfdir and systemdsystemunitdir
# as configured.
set -u

: "${top_builddir:?run through make check-systemd}"
: "${top_srcdir:=$top_builddir}"
: "${STAGE:?run through make check-systemd}"
: "${bindir:?}" "${sysconfdir:?}" "${systemdsystemunitdir:?}"

RELEASE=${KASAD_CHECK_SYSTEMD_RELEASE:-bookworm}
CACHE=${KASAD_CHECK_SYSTEMD_CACHE:-/var/cache/kasad-check-systemd}
# What kasad, kasa-emu and the checks need beyond minbase.
PACKAGES=systemd,libjson-c5,libnettle8,libcurl3-gnutls,libmosquitto1,libmicrohttpd12,libinih1,libsystemd0,curl,iproute2
# The watchdog for the test (a drop-in): the unit's own is 30 s.
WATCHDOG_S=3
# Upper bounds, in seconds.
DEBOOTSTRAP_S=600
BOOT_S=60
CMD_S=30
WAIT_S=15
# An address the unit denies (TEST-NET-3), on the container's loopback
# interface only.
DENIED=203.0.113.7

ME=check-systemd

skip() {
	echo "$ME: SKIP: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root (it boots a container)"
for c in systemd-nspawn debootstrap nsenter mount flock; do
	command -v "$c" >/dev/null 2>&1 ||
		skip "$c is not installed (packages systemd-container, debootstrap, util-linux)"
done
grep -qw overlay /proc/filesystems 2>/dev/null || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems 2>/dev/null || skip "the kernel has no overlay file system"
UNIT=$STAGE$systemdsystemunitdir/kasad.service
[ -f "$UNIT" ] || skip "kasad.service is not installed (configure --with-systemdsystemunitdir=no?)"

# --- The cleanup ------------------------------------------------------------------

RUN=
NSPAWN_PID=
LEADER=
cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGTERM makes nspawn ask the container's systemd to power off
		# (SIGRTMIN+3); SIGKILL if it has not within the bound.
		kill -TERM "$NSPAWN_PID" 2>/dev/null
		timeout 30 tail --pid="$NSPAWN_PID" -s 0.2 -f /dev/null 2>/dev/null ||
			kill -KILL "$NSPAWN_PID" 2>/dev/null
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	if [ -n "$RUN" ]; then
		mountpoint -q "$RUN/root" 2>/dev/null && umount "$RUN/root"
		mountpoint -q "$RUN/root" 2>/dev/null && umount -l "$RUN/root"
		rm -rf "$RUN"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

t_start=$(date +%s)
elapsed() {
	echo $(($(date +%s) - t_start))
}

# --- The Debian root ----------------------------------------------------------------

# apt_source SUITE: "URI KEYRING" of the first deb source for SUITE with
# main in this machine's apt configuration (KEYRING "-" when none is named).
apt_source() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk -v s="$1" '
			$1 == "deb" {
				i = 2; key = "-"
				if ($2 ~ /^\[/) {
					for (; i <= NF; i++) {
						if ($i ~ /^\[?signed-by=/) { key = $i; sub(/^\[?signed-by=/, "", key); sub(/\]$/, "", key) }
						if ($i ~ /\]$/) break
					}
					i++
				}
				if ($(i + 1) != s) next
				for (c = i + 2; c <= NF; c++) if ($c == "main") { print $i, key; exit 1 }
			}' "$f" || return 0
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v s="$1" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") &&
				    (" " comps " ") ~ / main / && enabled != "no" && uris != "") {
					split(uris, u, " "); print u[1], (key == "" ? "-" : key); found = 1
				}
				types = suites = comps = uris = key = enabled = ""
			}
			/^#/ { next }
			/^[ \t]*$/ { flush(); if (found) exit 1; next }
			/^[A-Za-z-]+:/ {
				k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
				if (k == "types") types = v; else if (k == "suites") suites = v
				else if (k == "components") comps = v; else if (k == "uris") uris = v
				else if (k == "signed-by" && v ~ /^\//) key = v
				else if (k == "enabled") enabled = tolower(v)
			}
			END { if (!found) flush(); if (found) exit 1 }' "$f" || return 0
	done
}

ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
KEY=$RELEASE-$ARCH-$(printf '%s minbase %s' "$RELEASE" "$PACKAGES" | sha256sum | cut -c1-12)
ROOT=$CACHE/$KEY
mkdir -p "$CACHE" || skip "cannot make $CACHE"
exec 8>"$CACHE/lock"
# One debootstrap at a time; the others wait for its root (bounded).
flock -w "$DEBOOTSTRAP_S" 8 || skip "$CACHE/lock is held by another run for too long"
if [ -f "$ROOT/.complete" ]; then
	echo "$ME: the $RELEASE root: $ROOT (cached)"
else
	src=${KASAD_CHECK_SYSTEMD_MIRROR:+$KASAD_CHECK_SYSTEMD_MIRROR -}
	[ -n "$src" ] || src=$(apt_source "$RELEASE")
	[ -n "$src" ] || skip "no deb source for $RELEASE with main in /etc/apt/sources.list{,.d}"
	mirror=${src% *}
	keyring=${src##* }
	case $mirror in
	http://* | https://* | ftp://* | file:/*) ;;
	*) skip "the apt source for $RELEASE, $mirror, is not one debootstrap can use" ;;
	esac
	set -- --variant=minbase --include="$PACKAGES"
	[ "$keyring" != - ] && [ -f "$keyring" ] && set -- "$@" --keyring="$keyring"
	echo "$ME: making the $RELEASE root with debootstrap from $mirror (about a minute)"
	rm -rf "$ROOT.tmp"
	t0=$(date +%s)
	if ! timeout "$DEBOOTSTRAP_S" debootstrap "$@" "$RELEASE" "$ROOT.tmp" "$mirror" \
		>"$CACHE/debootstrap.log" 2>&1; then
		tail -n 15 "$CACHE/debootstrap.log" | sed 's/^/  | /'
		rm -rf "$ROOT.tmp"
		skip "debootstrap $RELEASE from $mirror failed (no archive reachable?);" \
			"its log: $CACHE/debootstrap.log"
	fi
	# No machine id: each boot makes its own, as on a fresh image.
	: >"$ROOT.tmp/etc/machine-id"
	touch "$ROOT.tmp/.complete"
	rm -rf "$ROOT"
	mv "$ROOT.tmp" "$ROOT"
	echo "$ME: the $RELEASE root: $ROOT (made in $(($(date +%s) - t0)) s)"
fi
# The lock stays held (shared) while the root is in use, so that nobody
# replaces it under a running container.
flock -s 8

# --- The container's root: the cached one, with kasad installed over it -----------

RUN=$(mktemp -d /var/tmp/kasad-check-systemd.XXXXXX) || skip "mktemp failed"
mkdir "$RUN/upper" "$RUN/work" "$RUN/root"
mount -t overlay overlay -o "lowerdir=$ROOT,upperdir=$RUN/upper,workdir=$RUN/work" \
	"$RUN/root" || skip "cannot mount an overlay of $ROOT"
R=$RUN/root
# Debian 12's /lib is a link to usr/lib: keep it one.
tar -C "$STAGE" -cf - . | tar -C "$R" -xf - --keep-directory-symlink || {
	echo "$ME: ERROR: cannot copy $STAGE into the container's root"
	exit 99
}
ldconfig -r "$R"

CONF=$sysconfdir/kasad/kasad.conf
TOKENS=$(sed -n 's/^LoadCredential=kasad\.tokens://p' "$UNIT")
# The plugs: kasa-emu on loopback (a lamp and a kettle), and one on the
# denied address, which kasad must not reach.
EMU_SPECS='hs100,alias=Lamp hs110v4,alias=Kettle,state=on,power=1500'
cat >"$R/etc/systemd/system/kasa-emu.service" <<EOF
[Unit]
Description=kasa-emu, the plugs kasad talks to
[Service]
ExecStart=$bindir/kasa-emu -a 127.0.0.1 -p 9999 -r /run/kasa-emu.ready $EMU_SPECS
EOF
cat >"$R/etc/systemd/system/kasa-emu-denied.service" <<EOF
[Unit]
Description=kasa-emu on an address kasad's unit denies
[Service]
ExecStart=$bindir/kasa-emu -a $DENIED -p 9999 -r /run/kasa-emu-denied.ready hs100,alias=Far
EOF
mkdir -p "$R/etc/systemd/system/kasad.service.d"
cat >"$R/etc/systemd/system/kasad.service.d/check-systemd.conf" <<EOF
# check-systemd: a short watchdog, so that the frozen kasad is seen to die.
[Service]
WatchdogSec=${WATCHDOG_S}s
EOF

# kasad_conf [LINES...]: kasad.conf listening on $LISTEN, with LINES in
# its [kasad] section, then the devices in $DEVICES.
LISTEN=127.0.0.1:8080
DEVICES='[device "lamp"]
host = 127.0.0.1
port = 9999'
kasad_conf() {
	{
		printf '%s\n' '[kasad]' "listen = $LISTEN" 'request_timeout = 2s' \
			'poll_interval = off'
		printf '%s\n' "$@" "$DEVICES"
	} >"$R$CONF"
}
kasad_conf

# --- Boot ---------------------------------------------------------------------------------

echo "$ME: booting the container"
systemd-nspawn -D "$R" -b --register=no --keep-unit --private-network \
	--system-call-filter=bpf </dev/null >"$RUN/nspawn.log" 2>&1 &
NSPAWN_PID=$!

# The container's PID 1, as the host sees it: nspawn's child, whose pid in
# its own namespace is 1.
t_boot=$(date +%s)
deadline=$((t_boot + BOOT_S))
while [ -z "$LEADER" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	kill -0 "$NSPAWN_PID" 2>/dev/null || break
	for p in $(pgrep -P "$NSPAWN_PID"); do
		if awk '$1 == "NSpid:" && $NF == 1 { f = 1 } END { exit !f }' "/proc/$p/status" 2>/dev/null; then
			LEADER=$p
			break
		fi
	done
	[ -n "$LEADER" ] || sleep 0.1
done
if [ -z "$LEADER" ]; then
	sed 's/^/  | /' "$RUN/nspawn.log" | tail -n 20
	skip "systemd-nspawn could not boot the container (its output is above)"
fi

# inside CMD...: CMD in the container (all its namespaces), bounded.
inside() {
	timeout -k 5 "$CMD_S" nsenter -t "$LEADER" -a \
		env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@" </dev/null
}

# Until the container's systemd listens, systemctl cannot reach it ("Failed
# to connect to bus"); then it waits for the boot to finish.
while :; do
	state=$(inside systemctl is-system-running --wait 2>&1)
	case $state in
	running | degraded) break ;;
	esac
	[ "$(date +%s)" -lt "$deadline" ] || break
	kill -0 "$NSPAWN_PID" 2>/dev/null || break
	sleep 0.2
done
case $state in
running) ;;
degraded)
	echo "$ME: note: the container's systemd is degraded; failed units:"
	inside systemctl --failed --no-legend | sed 's/^/  | /'
	;;
*)
	sed 's/^/  | /' "$RUN/nspawn.log" | tail -n 20
	skip "the container's systemd did not come up within $BOOT_S s" \
		"(is-system-running: ${state:-nothing}); nspawn's output is above"
	;;
esac
echo "$ME: the container's systemd is up ($state) in $(($(date +%s) - t_boot)) s;" \
	"$(inside systemctl --version | head -n 1)"

# --- Checking ----------------------------------------------------------------------------

passed=0
failed=0
n=0
NOTE=$RUN/note
: >"$NOTE"
# note TEXT: a line to show if the current check fails.
note() {
	[ -z "$*" ] || printf '%s\n' "$*" >>"$NOTE"
}
# verdict DESCRIPTION STATUS: one line for a check (0: pass); a failure
# shows the notes gathered since the last verdict.
verdict() {
	n=$((n + 1))
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "FAIL $n - $1"
		sed 's/^/  | /' "$NOTE"
	fi
	: >"$NOTE"
}

# expect DESCRIPTION CMD...: CMD must succeed; its output goes to the notes.
# A check is a group of these; the first failure fails it.
ok=0
expect() {
	local what=$1 out
	shift
	[ "$ok" -eq 0 ] || return 1
	if out=$("$@" 2>&1); then
		return 0
	fi
	note "expected: $what"
	note "$(printf '%s\n' "$out" | tail -n 20)"
	ok=1
	return 1
}

# prop UNIT PROPERTY: a property of a unit, as systemctl show gives it.
prop() {
	inside systemctl show -P "$2" "$1"
}

# http [CURL-ARGS...] URL: "CODE BODY" of one request from inside.
http() {
	inside curl -sS -m 5 -o /dev/stdout -w ' %{http_code}' "$@" 2>&1
}

# http_is CODE [CURL-ARGS...] URL: the answer's status is CODE.
http_is() {
	local want=$1 got
	shift
	got=$(http "$@")
	[ "${got##* }" = "$want" ] && return 0
	echo "curl $*: wanted $want, got: $got"
	return 1
}

# wait_for SECONDS CMD...: until CMD succeeds, at most SECONDS.
wait_for() {
	local end=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.2
	done
	"$@"
}

# journal_has UNIT REGEX: the unit's journal of this boot has a line
# matching REGEX (kasad's own and systemd's about it), or will have within
# WAIT_S: journald writes what it receives a little later.
journal_lines() {
	inside journalctl --no-pager -b -o cat -u "$1" | grep -Eq -- "$2"
}
journal_has() {
	wait_for "$WAIT_S" journal_lines "$@"
}

is_active() {
	[ "$(prop "$1" ActiveState)" = "$2" ]
}

# A kasa-emu unit is up once it has written its readiness file.
emu_ready() {
	inside systemctl start "$1.service" && wait_for "$WAIT_S" inside test -s "/run/$1.ready"
}
emu_ready kasa-emu || {
	inside journalctl --no-pager -b -u kasa-emu.service | tail -n 20
	echo "$ME: ERROR: kasa-emu did not start in the container"
	exit 99
}

# --- 1. Type=notify: READY=1 and STATUS= --------------------------------------------------

ok=0
expect "systemctl start kasad.service succeeds" inside systemctl start kasad.service
expect "kasad.service is active" is_active kasad.service active
status=$(prop kasad.service StatusText)
note "StatusText=$status"
expect "STATUS= says where kasad listens" [ "${status%%;*}" = "Listening on 127.0.0.1:8080" ]
expect "/healthz answers 200" http_is 200 http://127.0.0.1:8080/healthz
expect "the lamp is there" http_is 200 'http://127.0.0.1:8080/devices/lamp?fresh=1'
verdict "kasad.service starts (Type=notify, StatusText=\"${status:-}\") and answers" "$ok"

# --- 2. Socket activation -------------------------------------------------------------

ok=0
expect "systemctl stop kasad.service" inside systemctl stop kasad.service
expect "systemctl start kasad.socket" inside systemctl start kasad.socket
expect "kasad.service is not running before the first connection" \
	is_active kasad.service inactive
expect "the first connection is answered" http_is 200 http://127.0.0.1:8080/healthz
expect "kasad.service is active after it" is_active kasad.service active
expect "kasad says it uses the socket passed by systemd" \
	journal_has kasad.service 'using the socket passed by systemd'
verdict "kasad.socket starts kasad.service on the first connection, which is answered" "$ok"

# --- 3. Reload ----------------------------------------------------------------------------

ok=0
pid=$(prop kasad.service MainPID)
expect "no kettle before the reload" http_is 404 http://127.0.0.1:8080/devices/kettle
DEVICES="$DEVICES
[device \"kettle\"]
host = 127.0.0.1
port = 10000"
kasad_conf
expect "systemctl reload kasad.service" inside systemctl reload kasad.service
expect "the kettle after the reload" \
	wait_for "$WAIT_S" http_is 200 http://127.0.0.1:8080/devices/kettle
expect "the same kasad (MainPID $pid)" [ "$(prop kasad.service MainPID)" = "$pid" ]
expect "kasad logged the reload" journal_has kasad.service 'reloaded: 2 devices'
verdict "systemctl reload rereads kasad.conf (a device added is served)" "$ok"

# --- 4. The watchdog ----------------------------------------------------------------------

ok=0
pid=$(prop kasad.service MainPID)
restarts=$(prop kasad.service NRestarts)
expect "WatchdogSec=${WATCHDOG_S}s from the drop-in" \
	[ "$(prop kasad.service WatchdogUSec)" = "${WATCHDOG_S}s" ]
# The shell's kill: minbase has no /bin/kill.
# shellcheck disable=SC2016 # for the inner shell
expect "kill -STOP $pid" inside sh -c 'kill -STOP "$1"' sh "$pid"
new_kasad() {
	local p
	p=$(prop kasad.service MainPID)
	[ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$pid" ] && is_active kasad.service active
}
expect "a new kasad within $((WATCHDOG_S + 2 + WAIT_S)) s" \
	wait_for $((WATCHDOG_S + 2 + WAIT_S)) new_kasad
expect "systemd logged the watchdog timeout" \
	journal_has kasad.service 'Watchdog timeout'
expect "the unit failed with result watchdog" \
	journal_has kasad.service "Failed with result 'watchdog'"
expect "NRestarts went up from $restarts" [ "$(prop kasad.service NRestarts)" -gt "$restarts" ]
expect "the new kasad answers" http_is 200 http://127.0.0.1:8080/healthz
verdict "a frozen kasad is killed by the watchdog and restarted (pid $pid, then $(prop kasad.service MainPID))" "$ok"

# --- 5. DynamicUser= and the tokens credential ------------------------------------------

ok=0
TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
expect "the unit loads the tokens with LoadCredential=" [ -n "$TOKENS" ]
(umask 077 && printf 'read %s\n' "$TOKEN" >"$R$TOKENS")
kasad_conf 'tokens = kasad.tokens'
expect "systemctl restart kasad.service" inside systemctl restart kasad.service
pid=$(prop kasad.service MainPID)
# shellcheck disable=SC2016 # awk's fields
uid=$(inside awk '$1 == "Uid:" { print $2 }' "/proc/$pid/status" 2>&1)
note "kasad (pid $pid) runs as uid $uid"
# systemd's dynamic users are 61184 to 65519.
expect "kasad runs as a dynamic user (uid $uid)" \
	awk -v u="$uid" 'BEGIN { exit !(u ~ /^[0-9]+$/ && u >= 61184 && u <= 65519) }'
expect "the tokens file stays root's, 0600" \
	[ "$(stat -c %u:%a "$R$TOKENS")" = 0:600 ]
expect "no token: 401" http_is 401 http://127.0.0.1:8080/devices
expect "a wrong token: 401" http_is 401 -H 'Authorization: Bearer not-the-token-0123456789' \
	http://127.0.0.1:8080/devices
expect "the token: 200" http_is 200 -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/devices
verdict "DynamicUser= kasad (uid $uid) reads the tokens from LoadCredential=: 401, then 200" "$ok"

# --- 6. The sandbox and the units, as the journal tells ----------------------------------

ok=0
inside journalctl --no-pager -b -o cat -u kasad.service -u kasad.socket >"$RUN/journal"
grep -Ei 'operation not permitted|permission denied|seccomp|audit|denied|EPERM|EACCES|read-only file system' \
	"$RUN/journal" >"$RUN/denials"
note "$(cat "$RUN/denials")"
expect "no denial in kasad's journal" [ ! -s "$RUN/denials" ]
expect "the journal holds kasad's own lines" grep -q 'using the socket passed by systemd' "$RUN/journal"
# What systemd says about the unit files themselves: unknown or ignored
# lines, a missing credential.
inside journalctl --no-pager -b -o cat _PID=1 | grep -E 'kasad\.(service|socket)' |
	grep -Ei 'unknown|ignor|invalid|failed to|warning|not supported' >"$RUN/warnings"
note "$(cat "$RUN/warnings")"
expect "systemd has nothing to say about the units" [ ! -s "$RUN/warnings" ]
verdict "no sandbox denial in kasad's journal, no warning about the units" "$ok"

# --- 7. The IP firewall ---------------------------------------------------------------------

# The unit denies any address but loopback, link-local and private ones.
# $DENIED goes on the container's loopback interface: a client there, and a
# plug there, which kasad must not reach.
ok=0
expect "IPAddressDeny=any in the unit" grep -qx 'IPAddressDeny=any' "$UNIT"
expect "ip addr add $DENIED/32 dev lo (in the container)" \
	inside ip addr add "$DENIED/32" dev lo
expect "kasa-emu on $DENIED" emu_ready kasa-emu-denied
expect "that plug answers others" inside kasactl "$DENIED" 9999 check
# kasad on every address (it has tokens now), not socket-activated.
expect "systemctl stop kasad.socket kasad.service" \
	inside systemctl stop kasad.socket kasad.service
LISTEN=0.0.0.0:8080
DEVICES="$DEVICES
[device \"far\"]
host = $DENIED
port = 9999"
kasad_conf 'tokens = kasad.tokens'
expect "systemctl start kasad.service" inside systemctl start kasad.service
auth=(-H "Authorization: Bearer $TOKEN")
expect "a client on loopback is answered" http_is 200 "${auth[@]}" http://127.0.0.1:8080/healthz
# The firewall drops the client's packets: its connection times out (curl
# exits 28; not 7, refused, nor 45, the address could not be bound).
refused() {
	local rc=0
	inside curl -sS --connect-timeout 2 -m 3 -o /dev/null "$@" || rc=$?
	echo "curl $*: exit $rc"
	[ "$rc" -eq 28 ]
}
expect "a client from $DENIED is not" refused --interface "$DENIED" http://127.0.0.1:8080/healthz
expect "nor on $DENIED:8080" refused --interface "$DENIED" "http://$DENIED:8080/healthz"
expect "kasad reaches the lamp on loopback" http_is 200 "${auth[@]}" \
	'http://127.0.0.1:8080/devices/lamp?fresh=1'
# Its SYN is dropped: kasad times out (504), or is told (502).
far_cut_off() {
	local got
	got=$(http "${auth[@]}" 'http://127.0.0.1:8080/devices/far?fresh=1')
	echo "$got"
	case ${got##* } in 502 | 504) return 0 ;; esac
	return 1
}
expect "kasad does not reach the plug on $DENIED" far_cut_off
# Socket-activated, the listening socket is systemd's, not kasad's: the
# socket unit must deny too.
expect "systemctl stop kasad.service" inside systemctl stop kasad.service
LISTEN=127.0.0.1:8080
kasad_conf 'tokens = kasad.tokens'
expect "systemctl start kasad.socket" inside systemctl start kasad.socket
expect "a client on loopback is answered through kasad.socket" \
	http_is 200 "${auth[@]}" http://127.0.0.1:8080/healthz
expect "a client from $DENIED is not" refused --interface "$DENIED" http://127.0.0.1:8080/healthz
verdict "the IP firewall: a client and a plug at $DENIED are cut off, loopback is not" "$ok"

# --- 8. A clean stop -----------------------------------------------------------------------

ok=0
expect "kasad.service is running" is_active kasad.service active
timeout_us=$(prop kasad.service TimeoutStopUSec)
t0=$(date +%s%N)
expect "systemctl stop kasad.socket kasad.service" inside systemctl stop kasad.socket kasad.service
stop_ms=$((($(date +%s%N) - t0) / 1000000))
note "the stop took $stop_ms ms; TimeoutStopUSec=$timeout_us"
expect "kasad.service is inactive" is_active kasad.service inactive
expect "its result is success" [ "$(prop kasad.service Result)" = success ]
expect "kasad exited 0" [ "$(prop kasad.service ExecMainStatus)" = 0 ]
expect "kasad.socket is inactive" is_active kasad.socket inactive
# A kasad that was not frozen kept the (short) watchdog happy: one timeout
# in the whole run, check 4's.
wd=$(inside journalctl --no-pager -b -o cat -u kasad.service | grep -c 'Watchdog timeout')
expect "one watchdog timeout in the run, not $wd" [ "$wd" -eq 1 ]
# Well within the timeout: kasad's shutdown_timeout (3 s) and a margin.
expect "the stop took $stop_ms ms, less than 5 s (TimeoutStopSec=$timeout_us)" \
	[ "$stop_ms" -lt 5000 ]
verdict "systemctl stop: inactive, not failed, exit 0, in $stop_ms ms (TimeoutStopSec=$timeout_us)" "$ok"

# What kasad and systemd said, when something failed.
if [ "$failed" -ne 0 ]; then
	echo "$ME: the journal of kasad's units:"
	inside journalctl --no-pager -b -o short-monotonic -u kasad.service -u kasad.socket |
		tail -n 80 | sed 's/^/  | /'
fi

# --- Power off ---------------------------------------------------------------------------

inside systemctl poweroff >/dev/null 2>&1
if timeout "$CMD_S" tail --pid="$NSPAWN_PID" -s 0.2 -f /dev/null 2>/dev/null; then
	wait "$NSPAWN_PID"
	echo "$ME: the container powered off (nspawn exit $?)"
	NSPAWN_PID=
else
	echo "$ME: the container did not power off within $CMD_S s; stopping it"
fi

echo "$ME: $passed passed, $failed failed ($(elapsed) s)"
[ "$failed" -eq 0 ]
