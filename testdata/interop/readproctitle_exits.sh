# readproctitle's exit codes: silent 100 for too few arguments or a
# display shorter than five bytes, 0 at EOF.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
readproctitle </dev/null; echo "no args: $?"
readproctitle .... </dev/null; echo "one arg, four bytes: $?"
readproctitle ..... </dev/null; echo "one arg, five bytes: $?"
readproctitle a b </dev/null; echo "short display: $?"
echo hello | readproctitle x ..........; echo "eof: $?"
printf 'a\000b' | readproctitle x .....; echo "nul: $?"
readproctitle x ..... <&-; echo "closed stdin: $?"
