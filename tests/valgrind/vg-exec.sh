#!/bin/sh
# vg-exec.sh LIBTOOL LOGDIR PROGRAM [ARGS...]: run PROGRAM under memcheck.
#
# `make check-valgrind` runs every test program through this (as the
# LOG_COMPILER), and points $KASAD, $KASACTL and $KASA_EMU at small scripts
# that call it, so that the daemon, the tools and the emulator the tests
# start run under it too.  PROGRAM may be a libtool wrapper script: libtool
# --mode=execute hands valgrind the real binary.  The log goes to
# LOGDIR/TEST.PROGRAM.PID.log, TEST being the script that ran it ($KASA_TEST,
# which common.sh exports) or the test program itself; report.sh reads them.
#
# $VALGRIND (default valgrind) and $VALGRIND_FLAGS come from the environment.
set -e
libtool=$1
logdir=$2
prog=$3
shift 3
name=$(basename "$prog")
# A Check program names the logs of what it starts itself (kasa-emu's tests).
KASA_TEST=${KASA_TEST:-$name}
export KASA_TEST
exec "$libtool" --mode=execute ${VALGRIND:-valgrind} $VALGRIND_FLAGS \
	--log-file="$logdir/$KASA_TEST.$name.%p.log" "$prog" "$@"
