# tai64n's framing compared with Debian's: stamps are replaced by STAMP
# after checking their form, so only the bytes around them are compared.
norm() { sed 's/^@4000000[0-9a-f]\{17\} /STAMP /'; }
printf 'a\nb\n\n\nlast' | tai64n | norm | od -c
printf '' | tai64n | od -c
printf '\n' | tai64n | norm
printf 'x\000y\n' | tai64n | norm | od -c
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "%d\n", i }' | tai64n | norm | cksum
awk 'BEGIN { s = ""; for (i = 0; i < 5000; i++) s = s "y"; print s; print "z" }' | tai64n | norm | cksum
# Stamps end in 500 nanoseconds.
echo x | tai64n | tai64nlocal | sed 's/^.*\.[0-9]\{6\}\(500\) x$/ok \1/'
tai64n </dev/null; echo "rc=$?"
echo x | tai64n >/dev/full; echo "rc=$?"
# Closed standard descriptors are read and write errors, not /dev/null.
tai64n <&-; echo "closed stdin: $?"
echo x | tai64n >&-; echo "closed stdout: $?"
tai64nlocal <&-; echo "tai64nlocal closed stdin: $?"
echo x | tai64nlocal >&-; echo "tai64nlocal closed stdout: $?"
