#!/bin/sh
# The README's pictures of the dashboard: the demo (contrib/demo.sh: kasad,
# five devices on kasa-emu plugs and one plug only discovery found) in
# headless Chromium, driven by tests/web/cdp, once at a desktop's size and
# once at a phone's.
#
# Usage: tests/web/screenshots.sh BUILDDIR OUTDIR     (make screenshots)
# KASAD_DEMO_PORT picks kasad's port (default 8080), as for the demo.
set -eu
build=$(cd "${1:?usage: screenshots.sh BUILDDIR OUTDIR}" && pwd)
out=$(cd "${2:?usage: screenshots.sh BUILDDIR OUTDIR}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
url=http://127.0.0.1:${KASAD_DEMO_PORT:-8080}/
chromium=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chromium" ] || { echo "screenshots: chromium is needed (apt-get install chromium)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'sh "$src/contrib/demo.sh" "$build" stop >/dev/null; rm -rf "$tmp"' EXIT

sh "$src/contrib/demo.sh" "$build" >/dev/null
# cdp answers each command with one line; any answer but "ok" is a failure.
{
	cat <<EOC
open $url
wait 10000 document.querySelectorAll('#devices > [data-device]').length === 5 && document.getElementById('conn').dataset.state === 'live'
wait 10000 [...document.querySelectorAll('.today-row:not([hidden]) .today')].every(e => /kWh/.test(e.textContent))
wait 40000 !document.querySelector('[data-device=kettle] .power-chart').hidden
wait 70000 !document.getElementById('found').hidden
viewport 1280 1180 0
screenshot $tmp/dashboard-desktop.png
viewport 390 844 1
screenshot $tmp/dashboard-phone.png
quit
EOC
} | "$build/tests/web/cdp" -c "$chromium" -d "$tmp" -t 90 2>"$tmp/stderr" | while IFS= read -r line; do
	case $line in
	ok* | ready) ;;
	*)
		echo "screenshots: $line" >&2
		exit 1
		;;
	esac
done
# Only pictures of a page that was all there replace the old ones.
cp "$tmp/dashboard-desktop.png" "$tmp/dashboard-phone.png" "$out/"
echo "screenshots: $out/dashboard-desktop.png, $out/dashboard-phone.png"
