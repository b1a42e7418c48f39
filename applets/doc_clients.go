package applets

// The manuals of svc, svok and svstat, in the markup of doc.go.

const svcDoc = `
svc sends commands to the supervisor of each dir, one directory after
another. Every option is a command letter; svc turns them into the
control bytes of supervise(8), each letter once and in the order of
its first appearance (svc -tkt sends t and k), and writes them all to
dir/supervise/control in a single write. svc does not wait for the
commands to take effect (svstat(1) shows when they have), unless -w
asks it to: see EXTENSIONS.

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
    Without -w, always, once every dir has been tried, even when none
    could be controlled. With -w, every dir got to the state.

99
    With -w: -T ran out first.

100
    An unknown option: "svc: illegal option -- z" (named after the
    program as it was invoked), then the line listing the options;
    or an argument of -w or -T that svc does not know: "svc: usage:
    svc -w u|U|d|D|r|R [-T ms] [-udopchaitkx] dir...".

111
    The current directory cannot be opened or returned to. With -w
    also: a dir could not be reached or controlled, its supervisor
    went away during the wait, or its service failed for good.

DIFFERENCES FROM DAEMONTOOLS 0.76

None: without -w, what svc writes and prints is the reference's,
byte for byte (the reference rejects -w and -T as illegal options).
Our supervise also takes runit's q, 1 and 2 (QUIT, USR1 and USR2),
which svc has no letters for; runit's sv quit, sv 1 and sv 2 send
them.

EXTENSIONS

-w u|U|d|D|r|R [from s6]
    Once the commands have been sent to every dir, wait until the
    service of each is in the state the letter names, s6-svc's
    letters: u, up (./run runs); U, up and ready (./run runs and has
    said it is ready through the readiness method its directory
    sets up; a service without one, and any service of Debian's
    supervise or runit's runsv, is ready as soon as it is up); d,
    down (./run does not run; ./finish may); D, down and finished
    (neither ./run nor ./finish runs); r, restarted (./run runs, and
    it is not the run that was there before the commands: another
    pid or another start); R, restarted and ready. A later -w
    replaces an earlier one.

    svc is woken by the supervisor's own writes of
    dir/supervise/status, which every supervisor renames into place
    (it watches dir/supervise with inotify), and by the supervisor
    going away (it holds dir/supervise/ok open for writing, which
    fails once nothing reads it). It never polls: -T's deadline is
    its only timer. It works alike on our supervise, Debian's and
    runit's runsv. It reads each state from the status file, so a
    state shorter than one read may be missed (a service dying at
    once under restart-backoff); daemontools' pause of a second
    after each start keeps every start visible.

    A dir that cannot be reached or has no supervisor gets the
    warning it gets without -w; the other dirs still get their
    commands, and svc exits 111 without waiting. A supervisor that
    goes away during the wait: "svc: warning: unable to wait for
    dir: supervise not running", exit 111. A service that will not
    come up, because restart-limit gave up or ./finish exited 125,
    ends a wait for u, U, r or R at once: "svc: warning: dir failed:
    restart-limit: 4 deaths in 60 seconds", exit 111; when the
    commands include u or o, which lift a failure, only once svc has
    seen the service out of it.

-T ms [from s6]
    With -w, give up after ms milliseconds: svc prints "svc: warning:
    timed out waiting for dir" for each dir not there yet and exits
    99, as s6-svc does. 0, the default, waits for as long as it
    takes. -T without -w is a usage error.

EXAMPLES

Stop a service and keep it down:

  svc -d /service/ftpd

Restart it with a fresh process (TERM; supervise starts it again):

  svc -t /service/ftpd

Stop a service and its logger and let both supervisors exit:

  svc -dx /service/.ftpd /service/.ftpd/log

Start a service and wait until it is up and ready, for at most 30
seconds (a run script's dependency on another service):

  svc -wU -T 30000 -u /service/db || exit 1

Stop a service and wait until its ./finish is done:

  svc -wD -d /service/ftpd
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

A service that uses the files of our lifecycle or readiness has more
suffixes after these (see EXTENSIONS); any other has none.

Instead of the state, a line may say "supervise not running",
"unable to chdir: ERR", "unable to stat down: ERR", "unable to open
supervise/ok: ERR", "unable to open supervise/status: ERR" or "unable
to read supervise/status: bad format". For its line svstat reads the
first 18 bytes of the status file, so it works alike on our
supervise, Debian's, and runit's runsv.

EXIT STATUS

0
    Always, once every dir has been reported, whatever the lines say.

111
    The current directory cannot be opened or returned to.

DIFFERENCES FROM DAEMONTOOLS 0.76

None: every line is the reference's, byte for byte, for every service
that uses none of our extension files, whichever supervisor runs it.
The reference takes --json and --metrics for directories.

EXTENSIONS

, ready N seconds [from ours]
    The service has a readiness method and said it was ready N
    seconds ago.

, not ready [from ours]
    The service has a readiness method, is up, and has not said it
    is ready yet.

, finishing [from ours]
    ./finish runs (the pid is then ./finish's, as runit shows it;
    runit's sv prints "finish:").

, failed: N deaths in S seconds [from ours]
    restart-limit gave up: the service died N times within its S
    seconds, and stays down until svc -u or svc -o.

, restarting in N seconds [from ours]
    The service is down, in restart-backoff's pause, and is started
    again in N seconds (rounded up).

--json [from ours]
    As the first argument: print one JSON object per dir, on one
    line, instead of the text: dir, supervised, format (daemontools,
    runit or daemontools-go: which layout the status file has),
    state (up, down, starting, finishing, stopping, backoff or
    failed), pid, since (RFC 3339, UTC, with nanoseconds), seconds,
    normally, want (up, down or once), paused, term (runit's "got
    TERM"), readiness, ready, ready_since, exit ({"code": N},
    {"signal": N} or null), deaths, window, limit, restart_at, failed
    and reason (a text such as "restart-limit: 4 deaths in 60
    seconds" or "finish exited 125"). A field the status file cannot
    tell (our extension's, in a file of Debian's supervise) is null.
    A dir with no supervisor gives only dir, supervised (false) and
    normally; one that cannot be looked at, dir and error (the
    line's text, such as "unable to chdir: file does not exist").

--metrics [from ours]
    As the first argument: print the same as Prometheus text
    exposition, for node_exporter's textfile collector: gauges named
    daemontools_service_*, labelled service="dir" (supervised,
    normally_up, up, state with a state label, state_seconds,
    state_change_timestamp_seconds, ready, want_up, paused, deaths,
    last_exit_code, last_exit_signal, restart_seconds, failed). A
    dir that cannot be looked at gets "svstat: warning: dir: ERR" on
    stderr and no samples.

EXAMPLES

  svstat /service/*
  svstat --json /service/* | jq -r 'select(.failed) | .dir'
  cd /var/lib/node_exporter &&
    svstat --metrics /service/* >svc.$$ && mv svc.$$ svc.prom
`
