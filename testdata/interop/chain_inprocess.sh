# Chains of loaders, which ours run in the first one's process when the
# next program is one of ours (privs.runInProcess): what the last program
# is and sees must be what it is and sees under Debian's, which exec
# every one. (Our links are root's alone in the test harness, so the
# drops here are to root: after setuidgid nobody the search would find
# Debian's.)
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
mkdir e; echo v > e/V; echo w > e/W
# A C program at the end of a chain: environment, ids, limits, the
# descriptors, the ignored signals and the mask.
(trap '' QUIT USR1 PIPE ALRM; envdir e envuidgid daemon softlimit -c 0 -f 100000 pgrphack setuidgid root setlock lk sh -c '
	env | grep -v "^PATH=" | sed -n "l 0"; id; ulimit -c; ulimit -f
	grep -E "^Sig(Ign|Blk)" /proc/self/status; cd /proc/$$/fd && echo *')
# A setlock that waits (and so gives the signals their default action)
# before another of our loaders, with the runtime holding no descriptor
# where the lock goes (so that the next loader runs in its process).
(trap '' QUIT; GODEBUG=containermaxprocs=0 envdir e setlock lk envdir e grep -E '^Sig(Ign|Blk)' /proc/self/status)
envdir e softlimit -c 0 envdir e sh -c 'cd /proc/$$/fd && echo *' 0<&-
# Our multilog at the end: what ps and /proc show of it while it runs,
# then its log.
mkfifo in
envdir e envuidgid daemon softlimit -c 0 -f 1000000 -t 500 pgrphack setuidgid root multilog t ./main <in &
pid=$!
exec 3>in
waitfor test -e main/current
ps -o user=,comm=,args= -p $pid
tr '\0' '\n' </proc/$pid/cmdline
tr '\0' '\n' </proc/$pid/environ | grep -v '^PATH=' | sed -n 'l 0'
grep -E '^(Name|Uid|Gid|Groups):' /proc/$pid/status
grep -E '^Max (cpu time|file size|core file size)' /proc/$pid/limits
[ "$(ps -o sid= -p $pid)" -eq $pid ] && echo "session leader"
readlink /proc/$pid/fd/0 | sed "s|$PWD|.|"
echo one >&3; echo two >&3
exec 3>&-
wait $pid; echo "rc=$?"
sed 's/^@[0-9a-f]* /@STAMP /' main/current
# What the exec refuses is refused: an argument list too long.
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "x"; print "" }' > e/BIG
envdir e multilog t ./main; echo "rc=$?"
