# multilog's log directories, rotation and recovery, compared with
# Debian's. Input comes from regular files so that both read it in the
# same blocks. Old files are listed in order with their names reduced to
# @STAMP.s / .u; sizes and modes are compared exactly.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
sums() { for f in $(ls "$1" | grep '^@') current; do cksum <"$1/$f"; done | cksum; }

echo '# a fresh directory'
printf 'a\n' >one
multilog ./d <one; echo "rc=$?"; lsd d

echo '# sizes: files end at a newline within 2000 bytes of s'
seq 1 3000 >nums
multilog s4096 n100 ./r <nums; lsd r; sums r
awk 'BEGIN { for (i = 0; i < 200; i++) { s = ""; for (j = 0; j < (i * 37) % 700; j++) s = s "v"; print s } }' >var
multilog t s5000 n100 ./rt <var; lsd rt

echo '# a line with no newline in reach is cut at exactly s'
awk 'BEGIN { s = ""; for (i = 0; i < 10000; i++) s = s "L"; print s; print "next" }' >long
multilog s4096 ./c <long; lsd c

echo '# n counts current: n3 keeps two old files; n1 acts as n2; s clamps'
seq 1 5000 >more
multilog s4096 n3 ./n3 <more; lsd n3
multilog s4096 n1 ./n1 <more; lsd n1
multilog sabc ./sa <more; lsd sa
multilog s99999999999 ./sb <more; lsd sb

echo '# a clean current (mode 744) is continued and counted'
multilog s4096 ./k <nums; lsd k
multilog s4096 ./k <nums; lsd k

echo '# an unclean current (mode 644) becomes .u, even when empty'
mkdir u1; : >u1/current; chmod 644 u1/current
multilog ./u1 <one; lsd u1
mkdir u2; printf 'half' >u2/current; printf 'st' >u2/state; printf 'ns' >u2/newstate
multilog ./u2 <one; lsd u2; cat u2/current

echo '# interrupted processing: previous becomes .u, or a finished processed .s'
mkdir i1; printf 'cur\n' >i1/current; printf 'prev\n' >i1/previous; printf 'proc\n' >i1/processed
multilog ./i1 <one; lsd i1
mkdir i2; printf 'cur\n' >i2/current; printf 'prev\n' >i2/previous; printf 'proc\n' >i2/processed; chmod 744 i2/processed
multilog ./i2 <one; lsd i2

echo '# foreign @ names count towards n; the lowest 25 bytes go first'
mkdir f; for i in 1 2 3; do : >f/@40000000000000000000000$i.s; done
: >f/@z234567890123456789012345; : >f/@short; : >f/@40000000000000000000000Xsuffix
multilog s4096 n4 ./f <nums; lsd f

echo '# a current with another link is not linked again'
mkdir h; : >h/current; ln h/current h/other
multilog ./h <one; lsd h

echo '# a directory may already exist and keep its mode; . and / start directories'
mkdir -m 755 e; multilog ./e <one; stat -c %A e
mkdir sub; (cd sub && multilog . <../one); lsd sub
multilog "$PWD/abs" <one; lsd abs
