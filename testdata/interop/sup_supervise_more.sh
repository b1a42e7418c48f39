# supervise: a normally-down service, and a ./run that is missing, not
# executable, not a program, then fixed. Ours against Debian's.
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


# A normally-down service is not started; -dx on a running one exits.
echo "== normally down"
mksvc nd; touch nd/down
supervise nd &
spid=$!
until_ svok nd
until_ is nd ': down'
svstat nd | norm
svc -u nd; until_ is nd 'up (pid'; svstat nd | norm
svc -dx nd; wait $spid; echo "supervise rc=$?"
svstat nd | norm

# ./run missing, then not executable, then not a program: the warning,
# and the retry once it is fixed.
echo "== run problems"
mkdir bad
supervise bad 2>bad.err &
spid=$!
until_ grep -q . bad.err
echo 'echo hi' > bad/run
until_ grep -q 'access denied' bad.err
chmod +x bad/run
until_ grep -q 'exec format error' bad.err
printf '#!/bin/sh\nexec sleep 1000\n' > bad/run
until_ is bad 'up (pid'
svc -dx bad; wait $spid; echo "supervise rc=$?"
sort -u bad.err
