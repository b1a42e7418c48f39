# multilog's startup errors, compared with Debian's: each is fatal
# (exit 111) before any input is read, and nothing after startup is.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
try() { printf 'x\n' | multilog "$@"; echo "rc=$?"; }
touch afile; mkfifo fifo

try ./afile
try ./log ./log
try ./log ./other ./log
try ./x =nowhere/st
try =
try =fifo
try ./missing/dir
mkdir l1; mkdir l1/current; try ./l1
mkdir l2; mkdir l2/state; try ./l2
mkdir l3; mkdir l3/lock; try ./l3
mkdir l4; ln -s loop l4/current; ln -s current l4/loop; try ./l4
ls; ls log x 2>&1 | stamp

echo '# the state of a directory after a fatal error in a later one'
try ./ok ./afile
ls -l ok | awk 'NR > 1 { print $1, $5, $NF }'

echo '# a second multilog on a locked directory'
mkfifo in
exec 3<>in
multilog ./held <in 3>&- & pid=$!
waitfor test -f held/current
try ./held
exec 3>&-
wait $pid; echo "rc=$?"
