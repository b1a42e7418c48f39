# fghack and pgrphack against Debian's.
# fghack's child gets the pipe's write end on fds 3-33.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
fghack sh -c 'cd /proc/$$/fd && echo *'; echo "rc=$?"
3>/dev/null 7>/dev/null fghack sh -c 'cd /proc/$$/fd && echo *'
# It waits for every holder of the pipe: a daemon's background child.
fghack sh -c '(while [ ! -e fg ]; do sleep 0.01; done; sleep 0.2; echo background done) & echo foreground done; : >fg'; echo "rc=$?"
fghack sh -c 'exit 3'; echo "rc=$?"
fghack sh -c 'kill -9 $$'; echo "rc=$?"
fghack; echo "rc=$?"
fghack nosuchprogram; echo "rc=$?"
fghack ""; echo "rc=$?"
# pgrphack makes the program a session and process group leader.
pgrphack sh -c 'set -- $(cut -d" " -f1,5,6 /proc/$$/stat); [ "$1" = "$2" ] && [ "$2" = "$3" ] && echo leader'
pgrphack pgrphack sh -c 'echo again'; echo "rc=$?"
pgrphack sh -c 'exit 5'; echo "rc=$?"
pgrphack; echo "rc=$?"
pgrphack nosuchprogram; echo "rc=$?"
