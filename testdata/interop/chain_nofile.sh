# Every chain loader passes on the open-files limit it was started with
# (the Go runtime raises its own soft limit at start-up), alone and
# chained, and softlimit -o wins when given. (No memory limits in
# front of our own applets here: the -race build the tests use cannot
# start under them.)
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
ulimit -Sn 256
ulimit -Hn 4096
mkdir e; echo v > e/V
envdir e sh -c 'ulimit -Sn; ulimit -Hn'
envuidgid nobody sh -c 'ulimit -Sn'
setuidgid nobody sh -c 'ulimit -Sn'
softlimit -c 0 sh -c 'ulimit -Sn'
setlock lk sh -c 'ulimit -Sn'
fghack sh -c 'ulimit -Sn'
pgrphack sh -c 'ulimit -Sn'
envdir e envuidgid nobody softlimit -c 0 setlock lk fghack pgrphack setuidgid nobody sh -c 'ulimit -Sn'
envdir e softlimit -o 30 setuidgid nobody envdir e sh -c 'ulimit -Sn'
ulimit -Sn 4095
envdir e sh -c 'ulimit -Sn'
ulimit -Sn 4096
envdir e sh -c 'ulimit -Sn'
