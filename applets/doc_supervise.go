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
    An empty file, locked with flock(2) while supervise runs. A
    second supervise fails with "unable to acquire
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
    exit, and 0 for down or 1 for running. 20 bytes in all.

EXIT STATUS

0
    Told to exit with x, once the service is down.

100
    Not exactly one argument: "supervise: usage: supervise dir".

111
    Could not start: dir cannot be entered, another supervise holds
    the lock, or a file in dir/supervise cannot be made or opened.

DIFFERENCES FROM DAEMONTOOLS 0.76

A status file of 20 bytes [from runit]
    daemontools writes 18 bytes; ours adds runit's two (see FILES),
    so that runit's sv(8), which insists on 20, reads our
    directories: sv status prints "run: dir: (pid N) Ns" or "down:
    dir: Ns, normally up". Debian's svstat and svok read the first
    18 bytes and see no difference.

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
    with that child's pid until the retry a second later. Go reports
    a failed exec without leaving a child, so a short-lived stand-in
    (this executable again, through /proc/self/exe) prints the line
    and exits 111, and the status is the reference's. Where /proc is
    not mounted, supervise prints the line itself and the service
    shows as down while it is retried.

EXTENSIONS

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
