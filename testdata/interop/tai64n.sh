# tai64n's framing compared with Debian's: stamps are replaced by @STAMP
# after checking their form, so only the bytes around them are compared.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
printf 'a\nb\n\n\nlast' | tai64n | stamp | od -c
printf '' | tai64n | od -c
printf '\n' | tai64n | stamp
printf 'x\000y\n' | tai64n | stamp | od -c
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d\n", i }' | tai64n | stamp | cksum
awk 'BEGIN { s = ""; for (i = 0; i < 5000; i++) s = s "y"; print s; print "z" }' | tai64n | stamp | cksum
# Stamps end in 500 nanoseconds.
echo x | tai64n | tai64nlocal | sed 's/^.*\.[0-9]\{6\}\(500\) x$/ok \1/'
tai64n </dev/null; echo "rc=$?"
echo x | tai64n >/dev/full; echo "rc=$?"
# Closed standard descriptors are read and write errors, not /dev/null.
tai64n <&-; echo "closed stdin: $?"
echo x | tai64n >&-; echo "closed stdout: $?"
tai64nlocal <&-; echo "tai64nlocal closed stdin: $?"
echo x | tai64nlocal >&-; echo "tai64nlocal closed stdout: $?"
