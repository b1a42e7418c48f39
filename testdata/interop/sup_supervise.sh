# supervise, svc, svok and svstat, ours against Debian's: the same
# steps run with ours everywhere, with Debian's clients against our
# supervise, and with our clients against Debian's supervise (and, in
# the reference run, with Debian's everywhere). Pids and seconds vary
# and are normalised.
set -u
norm() { sed 's/pid [0-9]*/pid N/; s/[0-9][0-9]* seconds/N seconds/'; }
# until_ CMD...: poll for up to 20 s
until_() {
	i=0
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 400 ] || { echo "timeout: $*"; return 1; }
		sleep 0.05
	done
}
is() { svstat "$1" | grep -q "$2"; }
mksvc() { mkdir -p "$1" && printf '#!/bin/sh\nexec sleep 1000\n' > "$1/run" && chmod +x "$1/run"; }


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
	until_ $svok $d
	$svok $d; echo "svok rc=$?"
	until_ is $d 'up (pid'
	$svstat $d | norm
	ls -l $d/supervise | sed -n 's/^\([-a-z]*\) .* \([a-z]*\)$/\1 \2/p'
	$sup $d; echo "second supervise rc=$?"
	$svc -p $d; until_ is $d paused; $svstat $d | norm
	$svc -c $d; until_ sh -c "! svstat $d | grep -q paused"; $svstat $d | norm
	$svc -t $d; sleep 0.1; until_ is $d 'up (pid'; $svstat $d | norm
	$svc -d $d; until_ is $d ': down'; $svstat $d | norm
	$svc -u $d; until_ is $d 'up (pid'; $svstat $d | norm
	$svc -o $d; $svc -k $d; until_ is $d ': down'; sleep 0.2; $svstat $d | norm
	$svc -u $d; until_ is $d 'up (pid'
	touch $d/down; $svstat $d | norm
	$svc -d $d; until_ is $d ': down'; $svstat $d | norm
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
