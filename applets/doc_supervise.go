package applets

// The manual of supervise, in the markup of doc.go.

const superviseDoc = `
supervise starts ./run in dir and starts it again whenever it exits.
After every start it pauses for a second before it acts on anything
else, so that a ./run that fails at once is retried about once a
second instead of in a tight loop; a ./run that lived longer than
that is restarted as soon as it exits. The exit status of ./run is
ignored.

./run is executed directly: no shell, no search of PATH (a script
needs its #! line). It runs in dir, with supervise's environment,
standard input, output and error, process group and session.

If dir/down exists when supervise starts, the service is normally
down: it is not started until svc -u or svc -o asks for it. The file
is read only at start-up; svstat reads it every time.

supervise keeps its state in dir/supervise, which it creates and
which must be writable, and it takes commands from the FIFO
dir/supervise/control (see COMMANDS): svc(1) writes them, svstat(1)
reports the state, svok(1) tells whether a supervise is running, and
svscan(8) runs one for every service of a tree. Only one supervise
can run in a directory. Once it has started, supervise exits only
when it is killed, or when it has been told to with x and the service
is down.

Diagnostics go to standard error, one line each, as
"supervise: fatal: ..." or "supervise: warning: ...". A failure to
write the status file is a warning; supervise goes on.

COMMANDS

u
    Up: the service is wanted up. Start it if it is down, and start
    it again whenever it exits.

d
    Down: the service is wanted down. If it is running, send it TERM
    and then CONT (so that a paused service sees the TERM), and do
    not start it again.

o
    Once: start the service if it is down, but do not start it again
    when it exits.

p
    Pause: send the service STOP.

c
    Continue: send the service CONT.

h
    Send the service HUP.

a
    Send the service ALRM.

i
    Send the service INT.

t
    Send the service TERM.

k
    Send the service KILL.

x
    Exit as soon as the service is down, at once if it already is.
    Nothing is sent to the service, so svc -dx is the way to stop
    both the service and its supervise.

q, 1, 2
    Send the service QUIT, USR1 or USR2 (see EXTENSIONS).

Signals go to the service's own process only, never to its children.
Other bytes are ignored. The status file is written again after u, d,
o, p, c and x, never after a signal command.

FILES

dir/run
    The service: an executable that runs it in the foreground.

dir/down
    If it exists when supervise starts, the service is normally down.

dir/supervise/
    Made with mode 0700. If it is a symbolic link that dangles,
    supervise makes the directory it names (one level), as Debian's
    supervise does, so that the state can live on a tmpfs.

dir/supervise/lock
    An empty file, locked with flock(2) while supervise runs, and
    with a POSIX lock as s6-supervise locks it. A second supervise
    (or an s6-supervise) fails with "unable to acquire
    dir/supervise/lock: temporary failure".

dir/supervise/control
    A FIFO (0600) from which supervise reads its commands.

dir/supervise/ok
    A FIFO (0600) that supervise keeps open for reading: opening it
    for writing succeeds only while a supervise runs, which is how
    svok and svstat tell.

dir/supervise/status
    The state, replaced on every change by writing status.new and
    renaming it: the TAI64N time of the last start or exit (12 bytes,
    big-endian), the pid (4 bytes, little-endian, 0 when down), 1 if
    paused, the wanted state (u, d, or 0 after o), then runit's two
    bytes: 1 while a TERM sent by d has not been answered by an
    exit, and 0 for down, 1 for running or 2 while ./finish runs.
    Then 44 bytes of ours, behind a version byte: the phase (down,
    up, starting, finishing, stopping, backoff, failed), how ./run
    last ended, when it became ready, when it will be started again,
    the deaths counted by restart-limit; and the service's last
    STATUS= text (sd-notify). svstat(1) shows them; daemontools'
    svstat reads 18 bytes and runit's sv 20, and neither changes.

EXIT STATUS

0
    Told to exit with x, once the service is down.

100
    Not exactly one argument: "supervise: usage: supervise dir".

111
    Could not start: dir cannot be entered, another supervise holds
    the lock, or a file in dir/supervise cannot be made or opened.

DIFFERENCES FROM DAEMONTOOLS 0.76

Runit's two bytes in the status file [from runit]
    daemontools writes 18 bytes; ours adds runit's two (see FILES),
    so that runit's sv(8), which reads 20, reads our directories: sv
    status prints "run: dir: (pid N) Ns" or "down: dir: Ns, normally
    up". Debian's svstat and svok read the first 18 bytes and see no
    difference.

Our extension of the status file [from ours]
    After runit's bytes (see FILES), for svstat's suffixes, --json
    and --metrics and svc -w; neither reference reads it.

A POSIX lock beside the flock [from s6]
    So that s6's tools (s6-svok, s6-notifyoncheck) see a supervise
    running, and an s6-supervise cannot start on the same directory.

A service that outlived its supervisor is adopted [from ours]
    Killing supervise (KILL, or TERM, INT or HUP, which it does not
    catch) leaves the service running and the status file naming it,
    as with daemontools; but where the reference's next supervise
    starts a second copy, ours checks that the pid in the status file
    is still the process started then and takes it over: same pid,
    same uptime in svstat, signalled through a pidfd, restarted as
    usual when it exits, and still kept down after an earlier d or o.
    The check compares the time in the status file with the start
    time the kernel recorded for the process holding that pid: a
    recycled pid, or a time more than 1 s before or 2 s after, is
    refused (then, as after a clock step of that size, a second copy
    starts, as under the reference). A Debian supervise's orphans are
    adopted too. Nothing is added to dir/supervise.

A regular file as dir/supervise/control [from ours]
    A control file made by hand that is not a FIFO is read at most
    once a second; the reference reads it in a busy loop at full CPU.

A ./run that cannot be executed, without /proc [from ours]
    The reference's forked child prints "supervise: fatal: unable to
    start dir/run: ERR" and exits 111, so svstat shows the service up
    with that child's pid until the retry a second later. Ours
    clones the child without waiting for its exec, as the reference
    forks it; a child whose exec fails turns itself into a stand-in
    (this executable again, through /proc/self/exe) that prints the
    line and exits 111, so the pid and the status are the
    reference's. Where /proc is not mounted, ./run is started with
    Go's ForkExec, which reports a failed exec without a child:
    supervise prints the line itself and the service shows as down
    while it is retried.

EXTENSIONS

Each of these is switched on by a file in dir that daemontools does not
read; a directory without any of them is supervised exactly as
daemontools does. The files are read before every start of ./run, so a
change applies from the next one; a file that cannot be parsed gets one
warning ("ignoring dir/FILE: ...") and is ignored, as s6 ignores it. A
service with any of them answers commands at once, with no pause after
a start, and is started again no sooner than a second after its last
start (or its restart-backoff pause), as s6-supervise paces restarts.

dir/finish [from runit]
    (s6 has it too.) Run when ./run has ended, before any restart,
    in dir with ./run's environment and descriptors, with runit's
    two arguments: the exit code of ./run (-1 if a signal ended it)
    and the signal's number (0 if it exited). While it runs, the
    status file holds its pid and runit's state byte 2, so sv prints
    "finish:". d, u and o change only what is wanted, x waits for it
    to end, and signals are not passed on, as with s6. An exit of
    125 is a permanent failure: the service is not started again, as
    after o. A finish that cannot be executed is reported and
    skipped.

dir/timeout-finish [from s6]
    Milliseconds after which a ./finish still running gets KILL
    (again every 5 seconds while it lasts); default 5000, 0 for no
    limit.

dir/down-signal [from s6]
    The signal d sends instead of TERM (then CONT, as always): a name
    such as HUP or SIGHUP, or a number.

dir/timeout-kill [from s6]
    Milliseconds after d before a service still running gets KILL
    (again every 5 seconds); 0 or absent, never. With it the service
    leads its own process group, the down signal and the KILL go to
    the whole group, and what is left of the group when ./run has
    ended after d is killed too: a stop always ends. Without it the
    service stays in supervise's process group, as in daemontools,
    and no group is ever signalled.

dir/cgroup [from ours]
    Each start of the service runs in a cgroup of its own (cgroup
    v2, below supervise's own cgroup, entered as the child is made),
    so that processes that left its process group or session are
    still found: they are killed (cgroup.kill) when the service is
    brought down, and svstat --json counts them. Where cgroup v2 is
    missing or not writable, one warning, and the rest works.

dir/restart-backoff [from ours]
    MIN MAX RESET, in seconds (fractions allowed): the pause after a
    start, which a dying service must wait out before it is started
    again, begins at MIN, doubles up to MAX while the service keeps
    dying, and goes back to MIN once it stayed up RESET seconds.
    During the pause u or o starts it at once and d cancels the
    restart; svstat says ", restarting in N seconds".

dir/restart-limit [from ours]
    N SECONDS: more than N deaths within SECONDS (deaths while the
    service is wanted up) is a permanent failure: the service stays
    down, its last exit recorded, and svstat says ", failed: N
    deaths in S seconds", until u or o.

dir/notification-fd [from s6]
    Readiness: the service gets a pipe on this descriptor and writes
    a newline to it when it is ready (1 and 2 are allowed: its
    standard output or error is then that pipe); supervise then
    closes its end. A service that ends before writing was never
    ready. Until then it is starting (svstat: ", not ready").

dir/check [from runit]
    Readiness: after each start, ./check runs in dir until it exits
    0, one at a time, first after 10 ms and then at twice the
    interval each time, up to a second, for as long as the service
    is up.

dir/sd-notify [from systemd]
    Readiness: the service gets NOTIFY_SOCKET, a datagram socket of
    supervise's, and sends READY=1 (sd_notify(3)); STATUS= is kept
    and shown by svstat --json, STOPPING=1 is recorded. Only the
    service's own processes are heard: the sender must be ./run, a
    descendant, or in the process group it leads, so a service run
    as another user (setuidgid) may speak and nobody else may. The
    file may hold lines NOTIFY_SOCKET=/path (or @name, abstract; the
    default is an abstract name of supervise's) and WATCHDOG_USEC=N:
    the service then gets WATCHDOG_USEC, and once ready must send
    WATCHDOG=1 at that interval; a missed ping gets it ABRT, then
    KILL, and it is started again.

dir/svscan-exit [from ours]
    Under svscan(8): when this service ends for good (./finish said
    125, it was o, restart-limit gave up, or, if the file holds
    always, whenever ./run ends), svscan stops the whole tree in
    order and exits with its exit code (128 plus the signal's number
    for a signal). The first such service to end decides.

Control bytes q, 1 and 2 [from runit]
    q sends QUIT, 1 sends USR1 and 2 sends USR2, so that runit's sv
    quit, sv 1 and sv 2 work on our supervise; daemontools ignores
    these bytes. svc has no letters for them. sv once and sv exit
    keep daemontools' meaning (o leaves the wanted state 0, and x
    does not stop the service), so sv -v once and sv -v exit on a
    running service wait for a state that never comes and report a
    timeout.

EXAMPLES

A service directory, and its supervise started by hand:

  mkdir -p /service/clock
  printf '#!/bin/sh\nexec sleep 600\n' >/service/clock/run
  chmod +x /service/clock/run
  supervise /service/clock &
  svstat /service/clock
`
