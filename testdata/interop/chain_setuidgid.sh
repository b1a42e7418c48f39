# setuidgid and envuidgid against Debian's: the credentials and
# environment the child sees, and every failure.
. "${PRELUDE:-$(dirname "$0")/prelude.sh}"
setuidgid nobody id
setuidgid daemon sh -c 'id -u; id -g; id -G; echo "$HOME $USER"'
setuidgid root id -G
setuidgid; echo "rc=$?"
setuidgid nobody; echo "rc=$?"
setuidgid nosuchaccount true; echo "rc=$?"
setuidgid "" true; echo "rc=$?"
setuidgid 0 true; echo "rc=$?"
setuidgid nobody sh -c 'exit 9'; echo "rc=$?"
# A failed exec. The search path is set explicitly: the harness puts a
# directory only root can enter in front of PATH for our run.
s=$(command -v setuidgid)
PATH=/nonexistent:/usr/bin:/bin $s nobody nosuchprogram; echo "rc=$?"
(unset PATH; $s nobody nosuchprogram); echo "rc=$?"
PATH= $s nobody nosuchprogram; echo "rc=$?"
mkdir -p priv/bin; chmod 700 priv; chmod 755 .
PATH=$PWD/priv/bin:/usr/bin $s nobody nosuchprogram; echo "rc=$?"
PATH=/usr/bin $s nobody ""; echo "rc=$?"
printf 'echo no interpreter line\n' > noshebang; chmod 755 noshebang
PATH=/usr/bin $s nobody ./noshebang; echo "rc=$?"
printf '#!/bin/sh\necho ran $0\n' > script; chmod 755 script
PATH=$PWD:/usr/bin $s nobody script; echo "rc=$?"
PATH=/usr/bin $s nobody /; echo "rc=$?"
# envuidgid: UID and GID added to the environment in the reference's
# order; the process keeps its own ids.
envuidgid nobody sh -c 'env | grep -v "^PATH=" | sed -n "l 0"; id -u'
UID=1 GID=2 X=3 envuidgid daemon sh -c 'env | grep -v "^PATH=" | sed -n "l 0"'
envuidgid; echo "rc=$?"
envuidgid nobody; echo "rc=$?"
envuidgid nosuchaccount true; echo "rc=$?"
e=$(command -v envuidgid)
PATH=/nonexistent $e nobody nosuchprogram; echo "rc=$?"
# The privilege drop composes with the other loaders.
setuidgid nobody envuidgid daemon sh -c 'id -u; echo $UID $GID'
