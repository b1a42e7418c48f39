# supervise, svc, svok and svstat, ours against Debian's: the same
# steps run with ours everywhere, with Debian's clients against our
# supervise, and with our clients against Debian's supervise (and, in
# the reference run, with Debian's everywhere). Pids and seconds vary
# and are normalised.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
set -u


# supervise's own errors.
supervise; echo "rc=$?"
supervise a b; echo "rc=$?"
supervise missing; echo "rc=$?"
touch file; supervise file; echo "rc=$?"
mksvc loop; ln -s down loop/down; supervise loop; echo "rc=$?"

check() { # DIR SUPERVISE SVC SVSTAT SVOK
	d=$1 sup=$2 svc=$3 svstat=$4 svok=$5
	echo "== $d"
	mksvc $d
	$sup $d 2>$d.err &
	spid=$!
	waitfor $svok $d
	$svok $d; echo "svok rc=$?"
	waitfor is $d 'up (pid'
	$svstat $d | norm
	ls -l $d/supervise | sed -n 's/^\([-a-z]*\) .* \([a-z]*\)$/\1 \2/p'
	$sup $d; echo "second supervise rc=$?"
	$svc -p $d; waitfor is $d paused; $svstat $d | norm
	$svc -c $d; waitfor sh -c "! svstat $d | grep -q paused"; $svstat $d | norm
	p=$(svpid $d); $svc -t $d; waitfor restarted $d "$p"; $svstat $d | norm
	$svc -d $d; waitfor is $d ': down'; $svstat $d | norm
	$svc -u $d; waitfor is $d 'up (pid'; $svstat $d | norm
	$svc -o $d; $svc -k $d; waitfor is $d ': down'; sleep 0.2; $svstat $d | norm
	$svc -u $d; waitfor is $d 'up (pid'
	touch $d/down; $svstat $d | norm
	$svc -d $d; waitfor is $d ': down'; $svstat $d | norm
	rm $d/down
	$svc -x $d; wait $spid; echo "supervise rc=$?"
	$svstat $d | norm
	$svok $d; echo "svok rc=$?"
	$svc -u $d; echo "svc rc=$?"
	cat $d.err
}
check ours supervise svc svstat svok
check debclients supervise /usr/bin/svc /usr/bin/svstat /usr/bin/svok
check debsupervise /usr/bin/supervise svc svstat svok
