# What the chain loaders inherit reaches the program they exec as it does
# through Debian's: ignored signals (which Go's runtime replaces with its
# own handlers at start-up), the ignores a shell gives background jobs,
# and closed standard descriptors (on which the runtime opens /dev/null).
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
mkdir e; echo v > e/V
for loader in "envdir e" "envuidgid nobody" "setuidgid nobody" "softlimit -c 0" "softlimit -m 100000000" "setlock lk" "fghack" "pgrphack"; do
	echo "== $loader"
	(trap '' QUIT TERM PIPE USR1 ALRM CHLD; $loader grep -E '^Sig(Ign|Blk)' /proc/self/status)
	$loader grep -E '^Sig(Ign|Blk)' /proc/self/status &
	wait
done
# (globbing, not ls in a pipeline, so that the shell's own pipe
# descriptors do not show up depending on timing)
for loader in "envdir e" "setuidgid nobody" "softlimit -c 0"; do
	echo "== $loader"
	$loader sh -c 'cd /proc/$$/fd && echo *' 0<&-
	$loader sh -c 'cd /proc/$$/fd && echo * >&0' 1>&- 2>&-
done
# setlock's lock takes the lowest free descriptor, a closed stdin too.
setlock lk sh -c 'ls -l /proc/$$/fd/0 | sed "s/.*-> //"' 0<&-
# fghack's pipe copies start at a closed stdin.
fghack sh -c 'cd /proc/$$/fd && echo *' 0<&-
# A waiting fghack ignores what it inherited ignored.
(trap '' QUIT; fghack sh -c 'kill -QUIT $PPID; echo alive')
echo "rc=$?"
# fghack cannot wait for a child when SIGCHLD is ignored.
(trap '' CHLD; fghack true)
echo "rc=$?"
