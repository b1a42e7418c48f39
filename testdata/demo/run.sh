#!/bin/sh
# make run: the demo. Copies the example service tree to a scratch
# directory and runs it in the foreground with our applets first in PATH.
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/daemontools-demo.XXXXXX")
links=$scratch/bin
"$bin" install-links "$links"
cp -R "$top/service" "$scratch/service"
PATH=$links:$PATH
export PATH
cat <<MSG
daemontools demo in $scratch

The example service prints a tick every second. Until svscan and
multilog land it runs here under tai64n, and its stamped lines are shown
in local time by tai64nlocal. Press Ctrl-C to stop.

MSG
cd "$scratch/service/clock"
exec sh -c './run | tai64n | tai64nlocal'
