# softlimit against Debian's: each option, "=", clamping, the reference's
# number syntax, usage errors, and the open-files limit that the Go
# runtime raises for itself and must not pass on.
# interop: without the race detector
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
ulimit -Sn 1024
ulimit -Hn 4096
softlimit -o 20 sh -c 'ulimit -n'
softlimit -o = sh -c 'ulimit -n'
softlimit -o 99999999 sh -c 'ulimit -n'
softlimit -o 00050 sh -c 'ulimit -n'
softlimit -o 18446744073709551636 sh -c 'ulimit -n'
softlimit -d 50000000 sh -c 'ulimit -n'
softlimit -m 60000000 sh -c 'ulimit -a'
softlimit -m60000000 -a 70000000 -s 1000000 sh -c 'ulimit -a'
softlimit -t 100 -c 0 -f 2048 -p 500 -r 3000000 -l 65536 sh -c 'ulimit -a'
softlimit -c = -p = -t = -f = sh -c 'ulimit -a'
softlimit -d 1000000000 -d 2000000 sh -c 'ulimit -d'
softlimit -- sh -c 'ulimit -n'
# Usage errors: exit 100.
softlimit; echo "rc=$?"
softlimit -o 20; echo "rc=$?"
softlimit -o unlimited true; echo "rc=$?"
softlimit -o 12k true; echo "rc=$?"
softlimit -o +5 true; echo "rc=$?"
softlimit -o -1 true; echo "rc=$?"
softlimit -z true; echo "rc=$?"
softlimit -o; echo "rc=$?"
softlimit -o bad -z true; echo "rc=$?"
# An empty value is 0, as the reference's number scanner reads it.
softlimit -c '' sh -c 'ulimit -c'
# Limits so low that the child cannot start.
softlimit -a 1000 /bin/true; echo "rc=$?"
softlimit -m 100000 /bin/true; echo "rc=$?"
softlimit -d 1000 /bin/true; echo "rc=$?"
softlimit -o 0 /bin/true; echo "rc=$?"
softlimit -o 20 nosuchprogram; echo "rc=$?"
softlimit -m 3000000 nosuchprogram; echo "rc=$?"
softlimit -f 0 sh -c 'exit 4'; echo "rc=$?"
# Memory limits in front of our own loaders (handed down to the last one,
# see privs.DeferVar): the program sees what it sees under Debian's.
mkdir e; echo v > e/V
softlimit -m 30000000 setlock lk envdir e sh -c 'ulimit -v; ulimit -d; ulimit -s; ulimit -l; ulimit -n; env | grep -c DEFERRED'
softlimit -m 30000000 -o 30 envdir e softlimit -o 20 -d 20000000 pgrphack sh -c 'ulimit -n; ulimit -d; ulimit -v'
softlimit -d 30000000 -a 60000000 setuidgid nobody envuidgid daemon sh -c 'ulimit -d; ulimit -v; echo $UID'
softlimit -d 30000000 fghack sh -c 'ulimit -d'
softlimit -d 30000000 envdir e nosuchprogram; echo "rc=$?"
softlimit -d 30000000 setlock -n lk sh -c 'exit 3'; echo "rc=$?"
