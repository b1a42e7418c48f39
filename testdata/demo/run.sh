#!/bin/sh
# make run: the demo. Copies the example service tree to a scratch
# directory and runs svscan over it in the foreground, with our applets
# first in PATH. Ctrl-C stops it.
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
daemontools demo: svscan over $scratch/service

  service/clock          prints a tick every second
  service/clock/log      multilog t s100000 n5 ./main

In another terminal:
  export PATH=$links:\$PATH
  svstat $scratch/service/clock $scratch/service/clock/log
  tai64nlocal < $scratch/service/clock/log/main/current
  svc -d $scratch/service/clock      (down; -u up, -t restart)
  ln -s /path/to/another/service $scratch/service/   (picked up at once)

Press Ctrl-C to stop.
MSG
exec svscan "$scratch/service"
