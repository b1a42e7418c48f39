# envdir against Debian's: every value rule, the order of the resulting
# environment, PATH lookup through the original environment, and every
# error. PATH itself is left out of printed environments: the harness
# sets it differently for the two runs.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"

mkdir e
printf 'val1\nsecond\n' > e/A
: > e/B
printf '\n' > e/C
printf '  lead  \t \n' > e/D
printf 'x\000y\000\n' > e/E
printf 'noeol' > e/F
printf ' \t \n' > e/G
printf 'a=b\n' > 'e/E=Q'
echo hidden > e/.hidden
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d", i % 10; print ""; print "tail" }' > e/LONG
B=old C=old Z=keep envdir e sh -c 'env | grep -v "^PATH=" | sed -n "l 0"'
echo "rc=$?"
# An empty directory changes nothing.
mkdir empty
envdir empty sh -c 'env | grep -v "^PATH=" | sed -n "l 0"'
# PATH set by the directory reaches the child, but the child is found
# through the original PATH.
mkdir p
echo /nonexistent > p/PATH
envdir p sh -c 'echo "$PATH"'
echo "rc=$?"
: > p/PATH
envdir p sh -c 'echo "${PATH-unset}"'
# Chained.
mkdir e2
echo second > e2/A
envdir e envdir e2 sh -c 'echo "$A $F"'
# Usage: exit 111, not 100.
envdir; echo "rc=$?"
envdir e; echo "rc=$?"
# Errors.
envdir missing true; echo "rc=$?"
envdir e/A true; echo "rc=$?"
mkdir sub; mkdir sub/dir
envdir sub true; echo "rc=$?"
ln -s loop loop
envdir loop true; echo "rc=$?"
mkdir l2; ln -s self l2/self; ln -s self l2/.x
envdir l2 true; echo "rc=$?"
envdir e nosuchprogram; echo "rc=$?"
envdir e ./nosuchprogram; echo "rc=$?"
envdir e ""; echo "rc=$?"
envdir e sh -c 'exit 7'; echo "rc=$?"
# Permissions, as an unprivileged account.
chmod 755 .
mkdir noread noexec secret
echo v > noread/V; echo v > noexec/V; echo v > secret/OK; echo v > secret/S
chmod 311 noread; chmod 644 noexec; chmod 600 secret/S
chmod 755 secret
sug=$(command -v setuidgid)
$sug nobody envdir noread true; echo "rc=$?"
$sug nobody envdir noexec true; echo "rc=$?"
$sug nobody envdir secret true 2>&1 | sed 's/secret\/OK/secret\/S/'; echo "rc=$?"
mkdir closed; chmod 311 closed
(cd closed && $sug nobody envdir ../e true); echo "rc=$?"
