# svscan over a tree with every kind of entry, compared with Debian's:
# what it supervises, what it says, and what clients then see.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
mkdir service elsewhere
mksvc service/plain 'exec sleep 1000'
mksvc service/.hidden 'exec sleep 1000'
mksvc elsewhere/target 'exec sleep 1000'
ln -s ../elsewhere/target service/linked
ln -s ../nowhere service/dangling
echo not a service > service/afile
mksvc service/logged 'echo to the log; exec sleep 1000'
mksvc service/logged/log 'exec cat > out'
mksvc service/badlog 'exec sleep 1000'
echo not a directory > service/badlog/log
mksvc service/down 'exec sleep 1000'
touch service/down/down

svscan service 2>err &
pid=$!
# Wait until every service that will run is up.
waitfor eval '[ "$(svstat service/plain service/linked service/logged service/logged/log service/badlog | grep -c ": up ")" = 5 ] && [ -s service/logged/log/out ]'
for d in service/plain service/linked service/logged service/logged/log service/badlog service/down service/.hidden elsewhere/target; do
  svstat $d | norm
done
cat service/logged/log/out
ls service/.hidden
ls -l service/plain/supervise | awk '{print $1, $NF}'
# Dismiss everything, then svscan.
svc -dx service/* service/*/log 2>/dev/null
waitfor eval '! svok service/plain'
kill $pid
wait $pid 2>/dev/null
sort err | uniq
