# The PATH search every chain loader uses (daemontools' pathexec_run):
# no /bin/sh fallback, an empty component is the current directory, the
# search goes on past "does not exist", "access denied" and "permission
# denied" and stops at anything else, reporting the last error that was
# not "does not exist". PATH is set explicitly around our applet's path.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
mkdir e; echo v > e/V
ed=$(command -v envdir)
printf '#!/bin/sh\necho "ran $0 $1"\n' > here; chmod 755 here
printf 'echo no interpreter line\n' > plain; chmod 755 plain
printf '#!/bin/sh\necho not executable\n' > noexec; chmod 644 noexec
mkdir adir
for p in "/nonexistent:/usr/bin" "" "/etc/passwd:/usr/bin" "/nonexistent:/etc/passwd" "$PWD:/usr/bin"; do
	for prog in here plain noexec nosuchprogram; do
		echo "PATH=$p $prog"
		PATH=$p $ed e $prog arg 2>&1
		echo "rc=$?"
	done
done
PATH=:/usr/bin $ed e here arg
PATH=/usr/bin: $ed e here arg
PATH=/nonexistent:/usr/bin $ed e adir; echo "rc=$?"
PATH=$PWD/adir:/usr/bin $ed e adir; echo "rc=$?"
(unset PATH; $ed e true; echo "rc=$?")
(unset PATH; $ed e nosuchprogram; echo "rc=$?")
$ed e ./here arg
$ed e ./plain; echo "rc=$?"
$ed e ./noexec; echo "rc=$?"
$ed e ./adir; echo "rc=$?"
$ed e "" ; echo "rc=$?"
$ed e / ; echo "rc=$?"
# Options end at "--" or the first non-option; other loaders take none.
softlimit -o 5 -- sh -c 'ulimit -n'
softlimit -o5 -c0 sh -c 'ulimit -n; ulimit -c'
setlock -nx -- lk true; echo "rc=$?"
setlock - true; echo "rc=$?"; ls -- -
pgrphack -- true; echo "rc=$?"
fghack -x; echo "rc=$?"
setuidgid -- true; echo "rc=$?"
envdir -- true; echo "rc=$?"
