# The functions the interop scripts share. Every script begins with
#
#	. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
#
# TestInterop (main_test.go) sets $PRELUDE to this file's path, since it
# runs each script with sh -c; by hand, run a script from a scratch
# directory with its path and the prelude is found beside it:
#
#	cd "$(mktemp -d)" && WORK=$PWD PATH=/path/to/links:$PATH sh /path/to/testdata/interop/NAME.sh
#
# (leave our links out of PATH for Debian's output). This file is not a
# test itself: TestInterop skips it.

# stamp: replace every TAI64N label with @STAMP (after checking its form).
stamp() { sed 's/@4000000[0-9a-f]\{17\}/@STAMP/g'; }

# lsd DIR: list DIR's files with their modes and sizes, labels stamped.
lsd() { echo "--- $1"; for f in $(ls "$1"); do echo "$(stat -c '%A %s' "$1/$f") $f"; done | stamp; }

# size FILE: its size in bytes, 0 when it is missing (a file being
# rotated may vanish between a test and the open).
size() { { wc -c <"$1"; } 2>/dev/null || echo 0; }

# waitfor CMD...: run CMD (its output discarded) every 50 ms until it
# succeeds, for up to 400 tries (20 s, more on a loaded machine); say
# "timeout: CMD" and fail after that. CMD is run afresh each time, but
# its arguments are expanded once: to test something that changes, use
# eval with the test in single quotes, as in
#	waitfor eval '[ "$(size a/current)" = 8 ]'
waitfor() {
	_waitfor_i=0
	while ! "$@" >/dev/null 2>&1; do
		_waitfor_i=$((_waitfor_i + 1))
		[ $_waitfor_i -lt 400 ] || { echo "timeout: $*"; return 1; }
		sleep 0.05
	done
}

# norm: replace the pids and seconds of svstat's lines with N.
norm() { sed 's/pid [0-9]*/pid N/; s/[0-9][0-9]* seconds/N seconds/'; }

# is DIR TEXT: whether svstat's line for DIR contains TEXT.
is() { svstat "$1" | grep -q "$2"; }

# svpid DIR: the pid svstat shows for DIR's service, nothing when down.
svpid() { svstat "$1" | sed -n 's/.*(pid \([0-9]*\)).*/\1/p'; }

# restarted DIR PID: whether DIR's service is up with a pid other than PID.
restarted() { _restarted_p=$(svpid "$1"); [ -n "$_restarted_p" ] && [ "$_restarted_p" != "$2" ]; }

# mksvc DIR [RUN]: make a service directory whose run script is the
# shell line RUN (by default exec sleep 1000).
mksvc() { mkdir -p "$1" && printf '#!/bin/sh\n%s\n' "${2-exec sleep 1000}" >"$1/run" && chmod +x "$1/run"; }
