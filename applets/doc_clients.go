package applets

// The manuals of svc, svok and svstat, in the markup of doc.go.

const svcDoc = `
svc sends commands to the supervisor of each dir, one directory after
another. Every option is a command letter; svc turns them into the
control bytes of supervise(8), each letter once and in the order of
its first appearance (svc -tkt sends t and k), and writes them all to
dir/supervise/control in a single write. svc does not wait for the
commands to take effect: svstat(1) shows when they have.

svc works alike with our supervise, Debian's, and runit's runsv,
which read the same bytes.

OPTIONS

-u
    Up: if the service is not running, start it; restart it whenever
    it stops.

-d
    Down: if the service is running, send it TERM and then CONT;
    once it has stopped, do not restart it.

-o
    Once: if the service is not running, start it; do not restart it
    when it stops.

-p
    Pause: send the service STOP.

-c
    Continue: send the service CONT.

-h
    Hangup: send the service HUP.

-a
    Alarm: send the service ALRM.

-i
    Interrupt: send the service INT.

-t
    Terminate: send the service TERM. Unlike -d, this does not wake a
    paused service, and the service is restarted if it is wanted up.

-k
    Kill: send the service KILL.

-x
    Exit: supervise exits as soon as the service is down. It does not
    stop the service by itself, hence svc -dx. A supervisor that
    svscan(8) runs is started again at its next scan.

Options may be bundled (-dx) and repeated; -- ends them. A directory
svc cannot reach gets a warning and svc goes on with the next:
"svc: warning: unable to control dir: supervise not running", "...:
file does not exist", "unable to chdir to dir: ERR" or "error writing
commands to dir: ERR".

EXIT STATUS

0
    Always, once every dir has been tried, even when none could be
    controlled.

100
    An unknown option: "svc: illegal option -- z" (named after the
    program as it was invoked), then the line listing the options.

111
    The current directory cannot be opened or returned to.

DIFFERENCES FROM DAEMONTOOLS 0.76

None: what svc writes and prints is the reference's, byte for byte.
Our supervise also takes runit's q, 1 and 2 (QUIT, USR1 and USR2),
which svc has no letters for; runit's sv quit, sv 1 and sv 2 send
them.

EXAMPLES

Stop a service and keep it down:

  svc -d /service/ftpd

Restart it with a fresh process (TERM; supervise starts it again):

  svc -t /service/ftpd

Stop a service and its logger and let both supervisors exit:

  svc -dx /service/.ftpd /service/.ftpd/log
`

const svokDoc = `
svok tells by its exit status whether a supervisor is running in dir,
ours, Debian's supervise or runit's runsv: it opens
dir/supervise/ok for writing, which succeeds only while a supervisor
holds it open for reading. Only the first argument is used.

EXIT STATUS

0
    A supervisor is running in dir.

100
    None is (dir/supervise/ok has no reader or does not exist), or
    no argument was given ("svok: usage: svok dir").

111
    dir cannot be entered ("svok: fatal: unable to chdir to dir:
    ERR"), or dir/supervise/ok cannot be opened for another reason.

DIFFERENCES FROM DAEMONTOOLS 0.76

None.

EXAMPLES

  svok /service/ftpd || echo 'ftpd is not supervised'
`

const svstatDoc = `
svstat prints one line for each dir, saying whether a supervisor is
running there and, if one is, what it reports in
dir/supervise/status:

  /service/ftpd: up (pid 1234) 5123 seconds
  /service/mail: down 2 seconds, normally up, want up

The seconds count from the service's last start or exit (never below
0, and "1 seconds" for one). Suffixes follow, in this order, where
they apply:

, normally down
    The service is up, and dir/down exists.

, normally up
    The service is down, and dir/down does not exist.

, paused
    The service is up, and stopped by svc -p.

, want up
    The service is down but wanted up: it is about to be started.

, want down
    The service is up but wanted down: it has been sent TERM and has
    not exited yet.

Instead of the state, a line may say "supervise not running",
"unable to chdir: ERR", "unable to stat down: ERR", "unable to open
supervise/ok: ERR", "unable to open supervise/status: ERR" or "unable
to read supervise/status: bad format". svstat reads the first 18
bytes of the status file, so it works alike on our supervise,
Debian's, and runit's runsv.

EXIT STATUS

0
    Always, once every dir has been reported, whatever the lines say.

111
    The current directory cannot be opened or returned to.

DIFFERENCES FROM DAEMONTOOLS 0.76

None: every line is the reference's, byte for byte.
`
