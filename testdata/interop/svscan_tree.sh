# svscan over a tree with every kind of entry, compared with Debian's:
# what it supervises, what it says, and what clients then see.
mk() { mkdir -p "$1"; printf '#!/bin/sh\n%s\n' "$2" > "$1/run"; chmod +x "$1/run"; }
mkdir service elsewhere
mk service/plain 'exec sleep 1000'
mk service/.hidden 'exec sleep 1000'
mk elsewhere/target 'exec sleep 1000'
ln -s ../elsewhere/target service/linked
ln -s ../nowhere service/dangling
echo not a service > service/afile
mk service/logged 'echo to the log; exec sleep 1000'
mk service/logged/log 'exec cat > out'
mk service/badlog 'exec sleep 1000'
echo not a directory > service/badlog/log
mk service/down 'exec sleep 1000'
touch service/down/down

svscan service 2>err &
pid=$!
# Wait until every service that will run is up (at most 10 s).
i=0
while [ $i -lt 100 ]; do
  n=$(svstat service/plain service/linked service/logged service/logged/log service/badlog 2>/dev/null | grep -c ': up ')
  [ "$n" = 5 ] && [ -s service/logged/log/out ] && break
  sleep 0.1
  i=$((i+1))
done
norm() { sed -e 's/(pid [0-9]*)/(pid P)/' -e 's/[0-9]* seconds/S seconds/'; }
for d in service/plain service/linked service/logged service/logged/log service/badlog service/down service/.hidden elsewhere/target; do
  svstat $d | norm
done
cat service/logged/log/out
ls service/.hidden
ls -l service/plain/supervise | awk '{print $1, $NF}'
# Dismiss everything, then svscan.
svc -dx service/* service/*/log 2>/dev/null
i=0
while [ $i -lt 100 ] && svok service/plain; do sleep 0.1; i=$((i+1)); done
kill $pid
wait $pid 2>/dev/null
sort err | uniq
