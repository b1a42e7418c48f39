# multilog's processors (!cmd), compared with Debian's: what they get
# on fds 0, 1, 4 and 5, where they run, how their output and state are
# kept, and what happens when they fail or crash. A failing processor is
# retried every 5 seconds forever, so those runs are killed once the
# first messages are out.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
seq 1 1500 >nums

echo '# the processor filters previous into processed, carries state from fd 4 to fd 5'
multilog s4096 '!tr 1 X; { cat <&4; echo run; } >&5' ./p <nums; echo "rc=$?"
lsd p; cat p/state
for f in $(ls p | grep '^@'); do head -n 2 "p/$f"; done

echo '# its directory, umask, descriptors and stdio'
multilog s4096 '!pwd; umask; for n in 0 1 2 3 4 5 6 7 8 9; do [ -e /proc/$$/fd/$n ] && printf "%s " $n; done; echo; cat >/dev/null' ./q <nums 2>qerr; echo "rc=$?"
for f in $(ls q | grep '^@'); do cat "q/$f"; done | sed "s|$PWD|WORK|" | sort | uniq -c
cat qerr

echo '# an empty processor succeeds'
multilog s4096 '!' ./e <nums; echo "rc=$?"; lsd e

echo '# a failing processor: warned about, retried; previous and processed stay'
multilog s4096 '!echo tried; exit 3' ./f <nums 2>ferr & pid=$!
waitfor grep -q 'processor failed' ferr; kill -9 $pid; wait $pid 2>/dev/null
cat ferr; lsd f; cat f/processed
echo '# ... and the next run salvages previous as .u'
printf 'later\n' | multilog ./f; lsd f

echo '# a processor killed by a signal: crashed (with a stale errno), then failed'
multilog s4096 '!kill -9 $$' ./k <nums 2>kerr & pid=$!
waitfor grep -q 'processor failed' kerr; kill -9 $pid; wait $pid 2>/dev/null
cat kerr; lsd k

echo '# a processor that cannot be started: no state file in a continued directory'
mkdir c; printf 'old\n' >c/current; chmod 744 c/current
multilog s4096 '!cat' ./c <nums 2>cerr & pid=$!
waitfor grep -q 'processor failed' cerr; kill -9 $pid; wait $pid 2>/dev/null
cat cerr
