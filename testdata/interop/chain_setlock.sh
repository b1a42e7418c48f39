# setlock against Debian's: the lock is an flock held by the exec'd
# program on fd 3, released when it exits; -n -N -x -X; every failure.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
setlock lk sh -c 'flock -n lk true; echo "held=$?"; grep flags /proc/$$/fdinfo/3'
echo "rc=$?"
flock -n lk true; echo "released=$?"
ls -l lk | cut -c1-10
setlock lk sh -c 'exit 7'; echo "rc=$?"
setlock lk sh -c 'setlock -n lk true; echo "n=$?"; setlock -nx lk true; echo "nx=$?"; setlock -nX lk true; echo "nX=$?"; setlock -xXn lk true; echo "xXn=$?"'
# The child passes the lock on to its own children through fd 3.
setlock lk sh -c 'sh -c "flock -n lk true; echo inherited=\$?"'
# An fcntl lock does not conflict: setlock uses flock.
setlock lk sh -c 'flock -n -x 3; echo own=$?'
# An inherited fd 3 pushes the lock to fd 4.
3>/dev/null setlock lk sh -c 'grep flags /proc/$$/fdinfo/4'
# A file that already has contents is not truncated.
echo data > full
setlock full true; cat full
setlock; echo "rc=$?"
setlock lk; echo "rc=$?"
setlock -n; echo "rc=$?"
setlock -z lk true; echo "rc=$?"
setlock missing/dir/lk true; echo "rc=$?"
setlock -x missing/dir/lk true; echo "rc=$?"
setlock -xX missing/dir/lk true; echo "rc=$?"
setlock lk nosuchprogram; echo "rc=$?"
setlock -x lk nosuchprogram; echo "rc=$?"
mkdir d
setlock d true; echo "rc=$?"
setlock -N lk true; echo "rc=$?"
