# multilog and its signals, compared with Debian's: TERM finishes the
# line being read and leaves the rest of the input unread, ALRM rotates
# a non-empty current, HUP kills and leaves current to be salvaged.
# Each step waits for the previous one by polling.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
mkfifo in

echo '# TERM between lines: exit 0 at once'
exec 3<>in
printf 'one\ntwo\n' >&3
multilog ./a <in 3>&- & pid=$!
waitfor eval '[ "$(size a/current)" = 8 ]'
kill -TERM $pid; wait $pid; echo "rc=$?"
exec 3>&-
lsd a; cat a/current

echo '# TERM in the middle of a line: the line is finished, the rest unread'
exec 3<>in
printf 'first\npart' >&3
multilog ./b <in 3>&- & pid=$!
waitfor eval '[ "$(size b/current)" = 6 ]'
kill -TERM $pid
# Nothing outside the process shows that it has seen the signal; give
# it a moment before more input arrives.
sleep 1
printf 'ial\nnext\n' >&3
wait $pid; echo "rc=$?"
cat b/current
multilog ./b2 <in 3>&- & pid2=$!
waitfor eval '[ "$(size b2/current)" = 5 ]'
exec 3>&-
wait $pid2; echo "rc=$?"
cat b2/current

echo '# ALRM rotates current only when it is not empty'
exec 3<>in
multilog ./c <in 3>&- & pid=$!
waitfor test -f c/current
kill -ALRM $pid
sleep 1 # (as above: the signal must be handled before the input comes)
printf 'x\n' >&3
waitfor eval '[ "$(size c/current)" = 2 ]'
kill -ALRM $pid
waitfor eval '[ "$(size c/current)" = 0 ]'
lsd c
exec 3>&-
wait $pid; echo "rc=$?"

echo '# HUP kills; current stays 644 and becomes .u at the next start'
exec 3<>in
multilog ./h <in 3>&- & pid=$!
printf 'y\n' >&3
waitfor eval '[ "$(size h/current)" = 2 ]'
kill -HUP $pid
{ wait $pid; echo "rc=$?"; } 2>/dev/null # (the shell may or may not say "Hangup")
exec 3>&-
lsd h
printf 'z\n' | multilog ./h; lsd h
