#!/bin/sh
# Installs, as root on Debian 12, what the tests use beyond the build, so
# that `make check` runs every test rather than skipping the ones whose
# tool is missing: promtool (prometheus) for /metrics, headless Chromium
# for the dashboard, tshark for the Wireshark dissector, debhelper and
# lintian for the packages, mandoc and jq for the documents, strace for
# the unit's sandbox, valgrind and wrk for check-valgrind and the soak,
# systemd-nspawn and debootstrap for check-systemd, mosquitto and its
# clients for the MQTT bridge's tests (a broker each test starts itself),
# openssl for their TLS certificates, iproute2 for discovery's broadcast
# between network namespaces the test makes.
#
# Packages that ship a daemon (prometheus) would start it on a machine
# where systemd runs: policy-rc.d says no for the length of the install,
# so that nothing is left running that the tests did not start.
set -eu

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root (it installs Debian packages)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive

policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT INT TERM
fi
apt-get install -y -q --no-install-recommends prometheus chromium tshark debhelper \
	dpkg-dev mandoc jq strace bash-completion lintian valgrind wrk systemd-container \
	debootstrap mosquitto mosquitto-clients openssl iproute2 >/dev/null
echo "install-deps: the tests' tools are installed"
