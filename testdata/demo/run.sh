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

  service/clock    prints a tick every second      (log: multilog t s100000 n5 ./main)
  service/db       ready 2 s after it starts, by notification-fd
  service/web      waits for db: svc -wU -T 30000 ../db || exit 1;
                   ./finish reports each end, restart-backoff paces retries

In another terminal:
  export PATH=$links:\$PATH
  cd $scratch/service
  svstat * */log                      (db: ", not ready", then ", ready N seconds")
  tai64nlocal < web/log/main/current  (web serves only once db is ready)
  svc -d db; svc -t web               (web waits 30 s, gives up, ./finish, backoff)
  svc -u db                           (db ready again: web serves at its next start)
  svc -wU -T 5000 db && echo db is ready
  svstat --json web                   (the state machine's view, machine-readable)
  ln -s /path/to/another/service $scratch/service/   (picked up at once)

Press Ctrl-C to stop.
MSG
exec svscan "$scratch/service"
