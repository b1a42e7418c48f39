# svstat, svok and svc on hand-made service directories: every line
# svstat can print, with status files and an ok reader made by the
# shell, so that the output is deterministic. Run with our clients and
# with Debian's.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
set -u
# stampat SECONDS-FROM-NOW: 12 bytes of TAI64N as printf escapes
stampat() {
	h=$(printf '%016x' $(( (1 << 62) + 10 + $(date +%s) + $1 )))
	i=0
	while [ $i -lt 16 ]; do
		printf '\\%03o' $(( 0x$(echo "$h" | cut -c$((i + 1))-$((i + 2))) ))
		i=$((i + 2))
	done
	printf '\\000\\000\\001\\364'
}
future=$(stampat 100000)
# mk DIR STAMP PID(4 escaped bytes) PAUSED WANT [RUNIT]
mk() {
	mkdir -p "$1/supervise"
	[ -p "$1/supervise/ok" ] || mkfifo "$1/supervise/ok"
	printf "$2$3$4$5${6-}" > "$1/supervise/status"
}
mk up "$future" '\322\004\000\000' '\000' u
mk upnd "$future" '\322\004\000\000' '\000' u; touch upnd/down
mk paused "$future" '\322\004\000\000' '\001' u
mk wantdown "$future" '\322\004\000\000' '\000' d
mk all "$future" '\377\377\377\377' '\002' d; touch all/down
mk down "$future" '\000\000\000\000' '\000' d
mk downwantup "$future" '\000\000\000\000' '\001' u
mk downnd "$future" '\000\000\000\000' '\000' d; touch downnd/down
mk once "$future" '\322\004\000\000' '\000' '\000'
mk runit "$future" '\322\004\000\000' '\000' u '\000\001'
mk short "$future" '\322\004' '' ''
mk nostatus "$future" '' '' ''; rm nostatus/supervise/status
mk statusdir "$future" '' '' ''; rm statusdir/supervise/status; mkdir statusdir/supervise/status
mk loop "$future" '\322\004\000\000' '\000' u; ln -s down loop/down
mkdir -p noreader/supervise; mkfifo noreader/supervise/ok
mkdir -p nosup
touch file
# Hold every ok FIFO open for reading, as a running supervise does.
for d in up upnd paused wantdown all down downwantup downnd once runit short nostatus statusdir loop; do
	sleep 1000 <>"$d/supervise/ok" &
	holders="${holders-} $!"
done
# A holder started in the background may not have opened ok yet.
for d in up upnd paused wantdown all down downwantup downnd once runit short nostatus statusdir loop; do
	waitfor svok "$d"
done
# A status that cannot be read (a directory) is not reported: the
# reference prints what its buffer held from the previous directory.
svstat statusdir up statusdir short statusdir
svstat up upnd paused wantdown all down downwantup downnd once runit short nostatus statusdir loop noreader nosup missing file "$WORK/up" 2>&1 | sed 's/ 1[0-9][0-9] seconds/ 1NN seconds/'
echo "svstat rc=$?"
mk old "$(stampat -100)" '\322\004\000\000' '\000' u
sleep 1000 <>old/supervise/ok &
holders="$holders $!"
waitfor svok old
# The stamp is 100 s old when made; a loaded machine may take seconds to get here.
svstat old | sed 's/ 1[0-9][0-9] seconds/ 1NN seconds/'
svstat; echo "no args rc=$?"
for d in up noreader nosup missing file; do svok $d; echo "svok $d rc=$?"; done
svok; echo "svok rc=$?"
svok up extra; echo "svok extra rc=$?"
# svc: the bytes a reader sees, in first-appearance order without repeats.
mkfifo up/supervise/control
exec 3<>up/supervise/control
svc -tkxudduo -h -ipcahhk up; echo "svc rc=$?"
dd bs=11 count=1 <&3 2>/dev/null | od -An -c
svc -dx up up; echo "svc rc=$?"
dd bs=4 count=1 <&3 2>/dev/null | od -An -c
svc up; echo "svc nothing rc=$?"
svc -u noreader nosup missing file; echo "svc rc=$?"
mkfifo noreader/supervise/control
svc -u noreader; echo "svc rc=$?"
touch nosup/supervise 2>/dev/null; mkdir -p plain/supervise; echo x > plain/supervise/control
svc -ud plain; echo "svc rc=$?"; od -An -c plain/supervise/control
svc -z up; echo "svc rc=$?"
svc -u -- up; echo "svc -- rc=$?"
dd bs=1 count=1 <&3 2>/dev/null | od -An -c
svc; echo "svc no args rc=$?"
kill $holders
