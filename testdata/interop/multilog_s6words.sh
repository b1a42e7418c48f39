# The words multilog borrows from s6-log (T, 1, S), compared with
# Debian's s6-log: under our applets `logger` is our multilog, under
# Debian's daemontools it is s6-log, with the same script. Only the
# clock is normalised: TAI64N labels become @STAMP and s6-log's ISO 8601
# times ISO (after checking their form). Without s6-log both runs say
# so and stop.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
command -v s6-log >/dev/null || { echo "s6-log is not installed"; exit 0; }
logger() {
	if [ "$(command -v multilog)" = /usr/bin/multilog ]; then s6-log "$@"; else multilog "$@"; fi
}
# bglogger: the same in the background, as the shell's own child, for
# kill.
bglogger() {
	if [ "$(command -v multilog)" = /usr/bin/multilog ]; then exec s6-log "$@"; else exec multilog "$@"; fi
}
iso() { stamp | sed 's/[0-9]\{4\}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]\{9\}  /ISO  /g'; }
show() { for f in "$@"; do echo "--- $f $(wc -c <"$f")"; iso <"$f" | od -An -c; done; }
# old DIR: the archives and current, in order, with sizes (the lock's
# mode is s6-log's own).
old() { echo "--- $1"; for f in $(ls "$1" | grep -e '^@' -e '^current$'); do echo "$(stat -c %s "$1/$f") $f"; done | stamp; }

echo '# T before a directory: local time, nanoseconds, two spaces'
printf 'one\n\ntwo words\n' | logger T ./t1; echo "rc=$?"
show t1/current
echo '# t and T: the TAI64N label first'
printf 'x\ny\n' | logger t T ./t2
show t2/current
echo '# T is local time: TZ five hours west of UTC shows an hour five less'
hour() { printf 'z\n' | TZ=$1 logger T 1 | cut -c 12-13 | sed 's/^0//'; }
u=$(hour UTC); w=$(hour Etc/GMT+5)
echo "hours apart: $(( (u - w + 24) % 24 ))"

echo '# 1: selected lines on standard output, alone or after T or t'
printf 'a\nb\n' | logger 1; echo "rc=$?"
printf 'a\nb\n' | logger T 1 | iso
printf 'a\nb\n' | logger t 1 | iso
printf 'a\n' | logger 1 ./both
show both/current

echo '# a line longer than the 1000-byte line buffer of multilog arrives whole'
awk 'BEGIN { s = ""; for (i = 0; i < 3000; i++) s = s "w"; print s; print "short" }' >longin
logger T 1 T ./long <longin | iso | wc -c
iso <long/current | cksum

echo '# T before a status file: the stamp counts in its 1001 bytes'
printf 'status line\n' | logger T =st
show st

echo '# 1 on a closed pipe: one warning, and the directory still gets every line'
seq 1 100000 >nums
logger s16777215 1 ./closed <nums 2>err | head -c 10 >/dev/null
echo "warnings: $(grep -c 'unable to write to stdout' err)"
wc -l <closed/current

echo '# S: the archives beyond a total size go, oldest first; current does not count'
mkfifo fifo
bglogger n100 S450 ./s <fifo & pid=$!
exec 3>fifo
for n in 100 200 50 150 120 300 10; do
	awk -v n="$n" 'BEGIN { s = ""; for (j = 0; j < n; j++) s = s "s"; print s }' >&3
	waitfor eval '[ "$(size s/current)" = $((n + 1)) ]'
	kill -ALRM $pid
	waitfor eval '[ "$(size s/current)" = 0 ] && [ "$(ls s | grep -c "^@")" -gt 0 ]'
done
printf 'left in current\n' >&3
exec 3>&-
wait $pid; echo "rc=$?"
old s
