# supervise: a normally-down service, and a ./run that is missing, not
# executable, not a program, then fixed. Ours against Debian's.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
set -u


# A normally-down service is not started; -dx on a running one exits.
echo "== normally down"
mksvc nd; touch nd/down
supervise nd &
spid=$!
waitfor svok nd
waitfor is nd ': down'
svstat nd | norm
svc -u nd; waitfor is nd 'up (pid'; svstat nd | norm
svc -dx nd; wait $spid; echo "supervise rc=$?"
svstat nd | norm

# ./run missing, then not executable, then not a program: the warning,
# and the retry once it is fixed.
echo "== run problems"
mkdir bad
supervise bad 2>bad.err &
spid=$!
waitfor grep -q . bad.err
echo 'echo hi' > bad/run
waitfor grep -q 'access denied' bad.err
chmod +x bad/run
waitfor grep -q 'exec format error' bad.err
printf '#!/bin/sh\nexec sleep 1000\n' > bad/run
waitfor is bad 'up (pid'
svc -dx bad; wait $spid; echo "supervise rc=$?"
sort -u bad.err
