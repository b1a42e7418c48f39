# Words that only look like the extension words are ignored, as
# daemontools' multilog ignores every unknown word: the files, modes,
# stdout and stderr are Debian's. (The extension words themselves are
# compared with s6-log in multilog_s6words.sh.)
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
seq 1 3000 >nums
multilog Tfoo 10 1x jq json zz S Sabc Rx X Xyz s4096 n100 ./d <nums; echo "rc=$?"
lsd d
printf 'a\nb\n' | multilog t TT 12 '-*' '+* b' e ./e 2>err; echo "rc=$?"
stamp <e/current; stamp <err
