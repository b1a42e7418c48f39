# tai64nlocal on well-formed input, in several time zones, compared with
# Debian's. Output is printed through od so that every byte shows.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
gen() {
  printf '@4000000037c219bf2ef02e94 hello\n'
  printf '@4000000037c219bf2ef02e94\n'
  printf '@4000000037c219bf2ef02e94x\n'
  printf '@4000000037c219bf2ef02e94@4000000037c219bf2ef02e94\n'
  printf '@400000005e0be100000001f4 2020 new year\n'
  printf '@400000004b3b4c8a3b9ac9ff\n'
  printf '@3fffffff0000000000000000 before 1970\n'
  printf '@40000000ffffffff00000000 2106\n'
  printf '@400000007fffffff00000000 2038\n'
  printf '@400000006a0000000000ffff\r\n'
  printf '\n\n'
  printf 'no label\n'
  printf ' @4000000037c219bf2ef02e94 indented\n'
  printf '@4000000037c219bf2ef02e94 \000nul\n'
  printf '@4000000037c219bf2ef02e94 last line without newline'
}
for tz in UTC US/Pacific Europe/Berlin Asia/Kolkata Australia/Lord_Howe America/St_Johns; do
  echo "TZ=$tz"
  gen | TZ=$tz tai64nlocal | od -c
  echo "rc=$?"
done
# DST transitions in Berlin, second by second.
i=0
while [ $i -lt 4 ]; do
  printf '@40000000623ff18%x00000000 spring\n' $i
  printf '@400000006359cc8%x00000000 autumn\n' $i
  i=$((i+1))
done | TZ=Europe/Berlin tai64nlocal
# A long line, and a line of many labels, cross the reference's buffers.
awk 'BEGIN { s = "@4000000037c219bf2ef02e94 "; for (i = 0; i < 3000; i++) s = s "x"; print s }' | tai64nlocal | cksum
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "@4000000037c219bf2ef02e94 %d\n", i }' | TZ=UTC tai64nlocal | cksum
