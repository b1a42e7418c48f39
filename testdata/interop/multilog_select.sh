# multilog's selection, alerts (e) and status files (=), compared with
# Debian's. Timestamps are replaced by @STAMP after checking their form;
# files are shown through od so that every byte counts.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
show() { for f in "$@"; do echo "--- $f $(stat -c %a "$f") $(wc -c <"$f")"; stamp <"$f" | od -An -c; done; }
line() { awk -v n="$1" -v c="$2" 'BEGIN { s = ""; for (i = 0; i < n; i++) s = s c; print s }'; }

echo '# no script: reads to EOF, exits 0'
printf 'a\nb\n' | multilog; echo "rc=$?"

echo '# a partial last line gets a newline; NUL and CR pass through'
printf 'one\n\ntwo\000x\r\nlast' | multilog ./d1; echo "rc=$?"
show d1/current

echo '# patterns: deselect all, select by prefix, status file, alerts'
printf 'STAT 1\nnoise\nSTAT 2 end\nmore noise\nSTATUS\n' >in1
multilog '-*' '+STAT*' =st e ./d2 '-*2*' ./d3 <in1 2>err; echo "rc=$?"
show st d2/current d3/current err

echo '# no backtracking, whole-line match, empty pattern, trailing star, literal backslash'
printf 'abcbc\nabc\n\nhello world\nhello\na\\b\nx*y\n' >in2
multilog '-*' '+a*c' ./p1 '-*' '+' ./p2 '-*' '+hello' ./p3 '-*' '+*' ./p4 '-*' '+a\*' ./p5 '-*' '+x**y' ./p6 <in2
show p1/current p2/current p3/current p4/current p5/current p6/current

echo '# e truncates at 200 bytes plus ...; words starting with e are e'
{ line 150 a; line 200 b; line 201 c; line 1500 d; echo; } >in3
multilog errors <in3 2>err3; echo "rc=$?"
show err3

echo '# = is always 1001 bytes, never truncated, created 0600, keeps an existing mode'
line 5000 z >big; chmod 640 big
printf 'short\n' | multilog =big =new; echo "rc=$?"
show new
echo "big: $(stat -c %a big) $(wc -c <big)"; head -c 1010 big | od -An -c | head -n 3
printf 'x\n' | multilog '-*' =untouched; echo "rc=$?"
show untouched

echo '# selection sees only the first 1000 bytes; directories get the whole line'
{ line 999 y | sed 's/y$/Z/'; line 1100 y | sed 's/y$/Z/'; line 1500 w; } >in4
multilog '-*' '+*Z' ./l1 '+*' e =l2st ./l2 <in4 2>err4
show l2st
wc -c l1/current l2/current | sed 's/^ *//'
cut -c 1-20,990-1010 err4 | od -An -c

echo '# t: patterns see the timestamp'
printf 'fatal: out of memory\nok\n' >in5
multilog t '-*' '+fatal: *' ./t1 '-*' '+* fatal: *' ./t2 e <in5 2>err5
show t1/current t2/current
stamp <err5

echo '# t only as the first word; unknown words ignored'
printf 'x\n' | multilog xyz ./u1 t tfoo; cat u1/current
printf 'x\n' | multilog tfoo ./u2; stamp <u2/current
printf '\n\n' | multilog t ./u3; show u3/current
