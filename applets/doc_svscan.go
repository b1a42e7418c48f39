package applets

// The manuals of svscan, svscanboot and readproctitle, in the markup of
// doc.go.

const svscanDoc = `
svscan supervises every service in dir, or in the current directory
when dir is not given. A service is a subdirectory, or a symbolic
link to one, whose name does not start with a dot; see supervise(8)
for what it holds. For each one svscan runs a supervisor, exactly as
supervise(8) would, and when the service has a log subdirectory, a
second supervisor in log, with a pipe between the two: the service's
standard output is its logger's standard input. Renaming a service to
a name that starts with a dot hides it from svscan.

svscan looks at dir when it starts, every five seconds, within
milliseconds of a new entry, and on SIGHUP or SIGALRM. A supervisor
that has exited (after svc -x) is started again at the next scan. An
entry whose directory has gone is dropped once its supervisor has
exited, which is how a service is removed:

  mv /service/ftpd /service/.ftpd
  svc -dx /service/.ftpd /service/.ftpd/log

Entries are told apart by device and inode, not by name. Whether an
entry has a log is decided once, when svscan first sees it. A
symbolic link that dangles is reported on every scan; files that are
not directories are ignored.

svscan holds both ends of every pipe between a service and its
logger for as long as it runs, so a logger or a service that restarts
finds the same pipe, and no line is lost in between. Services and
loggers inherit svscan's environment. A service's standard input and
error are svscan's (its standard output too, when it has no log); a
logger's standard output and error are svscan's.

svscan runs until it is stopped with SIGTERM or SIGINT (see SIGNALS)
or killed. Its messages go to standard error: "svscan: warning: ..."
for a problem with one entry, which is tried again at the next scan,
and the messages of the supervisors, as supervise(8) prints them.

FILES

dir/S/supervise/, dir/S/log/supervise/
    The supervisors' files for service S and its logger, as
    supervise(8) describes them. svscan writes nothing else. Either
    may be a symbolic link into a writable directory that dangles
    when svscan starts: the supervisor makes the directory it names
    (one level). So a tree on a read-only file system runs, with its
    state on a tmpfs or in a pod's emptyDir (see EXAMPLES).

SIGNALS

SIGTERM, SIGINT
    Stop the tree in order, then exit 0. Every service is brought
    down as svc -dx does (TERM, then CONT). Once a service has
    exited, its logger reads what is left in the pipe and then sees
    the end of its input (multilog flushes, syncs and exits 0), so no
    line written before the service exited is lost. Whatever still
    runs SVSCAN_SHUTDOWN_TIMEOUT seconds after the signal gets
    SIGKILL.

SIGHUP, SIGALRM
    Scan dir at once.

SIGQUIT, SIGPWR
    As process 1 only: as SIGTERM. LXC stops a container with SIGPWR.

SIGUSR1
    As process 1 only: ignored.

SIGUSR2
    Upgrade in place: exec the executable found at the path svscan
    was started from (/proc/self/exe when that path is gone), in the
    same process, handing over every supervisor's state in a sealed
    memfd. Services, loggers, their pipes and the control FIFOs stay
    as they are; nothing restarts. The new svscan checks each pid
    against the kernel and adopts, as after SIGKILL, whatever does not
    check out or a handover it cannot read. When the exec fails:
    "svscan: warning: unable to upgrade to PATH: ERR", and svscan goes
    on as it was. daemontools upgrade [dir] sends it.

SIGKILL
    Ends svscan and every supervisor, but not the services: the next
    svscan on dir adopts them (see supervise(8)).

ENVIRONMENT

SVSCAN_SHUTDOWN_TIMEOUT
    How many seconds the orderly shutdown waits before it kills what
    is left: a decimal number, default 10, 0 to kill at once. Any
    other value is reported ("svscan: warning: ignoring
    SVSCAN_SHUTDOWN_TIMEOUT=...: not a number of seconds") and the
    default is used. In a container, set it below the runtime's own
    stop timeout, by a few seconds: docker's is 10 s; in Kubernetes
    it is the pod's terminationGracePeriodSeconds (default 30), less
    the time a preStop hook takes. Then svscan, not the runtime,
    kills the stragglers, the loggers end cleanly, and the container
    exits with svscan's status. After its deadline svscan needs
    milliseconds to kill and reap what is left (up to 10 seconds for
    a process stuck in the kernel).

EXIT STATUS

0
    After an orderly shutdown.

N
    After the orderly shutdown that a service with svscan-exit began
    by ending for good: that service's exit code, or 128 plus the
    number of the signal that ended it (see EXTENSIONS). As a
    container's init, this is the container's exit code.

111
    dir cannot be entered: "svscan: fatal: unable to chdir to dir:
    ERR".

DIFFERENCES FROM DAEMONTOOLS 0.76

Every supervisor runs inside svscan [from ours]
    svscan starts no supervise processes: it runs the supervisor of
    each service and of each logger in its own process. Every file,
    message and client sees exactly what daemontools' supervise would
    produce, and a supervise started by hand on a directory that
    svscan runs fails on the lock, as it does under daemontools. The
    supervisors end with svscan; their services do not.

An orderly shutdown on SIGTERM and SIGINT [from s6]
    The reference dies of both and leaves every supervise running.
    Ours stops the tree as s6-svscan does on TERM (see SIGNALS).

Orphans are reaped [from ours]
    As process 1, svscan gets every orphan from the kernel; otherwise
    it makes itself a child subreaper. Either way the processes a
    service leaves behind (a daemon that forks twice, the children of
    a service that died) become its children and are reaped instead
    of going to init. The status of a service is never touched by
    this.

A correct process 1 [from ours]
    The kernel keeps the signals a C init has no handler for from
    it, but a Go process 1 dies of them (and dumps core on QUIT). As
    process 1, svscan handles QUIT and PWR as TERM and drops USR1;
    once its tree is down it sends TERM and CONT to every
    process left, then SIGKILL at the deadline.

Live upgrade on SIGUSR2 [from ours]
    The reference dies of USR2. Ours execs its new executable in
    place and keeps the tree (see SIGNALS).

One supervisor's crash is contained [from ours]
    The supervisors share one process. A panic in one is caught and
    reported ("svscan: warning: supervisor of dir crashed, restarting
    it: ..."), and that supervisor starts again with its service, its
    files and its pipe, without touching the others.

New services are picked up at once [from ours]
    Besides the reference's scan every five seconds, svscan watches
    dir with inotify and scans within milliseconds of a new entry (a
    symbolic link made with ln -s, or a directory moved in with mv).
    Such a scan takes up only entries that already have a run file,
    because the log is looked for only when an entry is first seen:
    a directory still being filled in is left to the periodic scan,
    as the reference would find it. Without inotify only the
    periodic scan runs.

SIGHUP and SIGALRM rescan [from s6]
    The reference dies of both. s6-svscan scans on SIGALRM; on SIGHUP
    it also stops services that have gone, which ours does not.

No limit of 1000 services [from ours]
    The reference refuses the entries past 1000 ("unable to start S:
    running too many services").

One open-files limit for the tree [from ours]
    Each supervise of the reference's has its own descriptors; ours
    share svscan's: 4 per service, 10 per logged service. svscan
    raises its own limit as the tree grows (the hard one too, up to
    fs.nr_open, with CAP_SYS_RESOURCE), and every service still
    starts with the limits svscan was started with. A service that
    finds no descriptor is reported once a minute at most ("svscan:
    warning: unable to start supervise S: process cannot open more
    files"), tried again after 1, 2, 4, up to 60 seconds, and started
    as soon as descriptors are freed.

One set of threads and one memory for the tree [from ours]
    svscan makes every thread it can need at start-up (one per P and
    13 more, whatever the number of services), so that a fork refused
    at pids.max or RLIMIT_NPROC ("unable to fork for S, sleeping 60
    seconds", once a minute) never leaves the Go runtime without a
    thread; its supervisors count against neither limit. Its memory
    grows by about 5 KiB a service; in a memory cgroup the OOM killer
    takes it when every service is smaller than it, and the next
    svscan adopts the services. See the README's "Limits of one
    process".

EXTENSIONS

SVSCAN_SHUTDOWN_TIMEOUT [from ours]
    The deadline of the orderly shutdown: see ENVIRONMENT.

A main service: S/svscan-exit [from ours]
    When the service S with this file ends for good (its ./finish
    exits 125, it was sent o and has ended, its restart-limit gave
    up, or, if the file holds always, whenever S/run ends), svscan
    stops the whole tree in order, as on TERM, and exits with S's
    exit code (128 plus the signal's number for a signal). The first
    such service to end decides. This is how a container ends when
    its main program does.

The service directory files of supervise(8) [from ours]
    finish, timeout-finish, down-signal, timeout-kill, cgroup,
    restart-backoff, restart-limit, notification-fd, check and
    sd-notify work for every service and logger svscan runs.

EXAMPLES

The init of a container, or of an initramfs:

  exec svscan /service

The same tree on a read-only image, run by any uid, with a writable
/run (a tmpfs, or a pod's emptyDir): each service and each log gets
a supervise link into /run,

  ln -s /run/ftpd.supervise /service/ftpd/supervise
  ln -s /run/ftpd.log.supervise /service/ftpd/log/supervise

and the logger copies every line to svscan's standard output, where
the container runtime collects it:

  #!/bin/sh
  exec cat
`

const svscanbootDoc = `
svscanboot starts the supervision tree of a machine; an inittab entry
or a boot script runs it. It sets PATH to the reference's list

  /command:/usr/local/bin:/usr/local/sbin:/bin:/sbin:/usr/bin:
  /usr/sbin:/usr/X11R6/bin

(one line, no spaces), puts its standard input, output and error on
/dev/null, and sends d and x to the supervisor of every dir/* and
dir/*/log, so that any supervise left from before brings its service
down and exits. Then it runs

  svscan dir 2>&1 | readproctitle service errors: .......

with 400 dots and with PATH as the only environment variable, so that
the last 400 bytes of svscan's messages show in ps(1). dir is
/etc/service, as in Debian (upstream's is /service). svscan and
readproctitle are found in that PATH; where they are not there, this
executable runs them.

FILES

/etc/service
    The services.

EXIT STATUS

svscanboot becomes svscan and ends as svscan does. It exits 111 if
it cannot make the pipe or start readproctitle.

DIFFERENCES FROM DAEMONTOOLS 0.76

svscanboot is built in [from ours]
    The reference is a shell script. Ours does the same steps, and
    then svscan takes over svscanboot's process (there is no shell
    waiting for the pipeline), with readproctitle as its child.

EXTENSIONS

An argument naming the directory [from ours]
    svscanboot dir runs the tree of dir instead of /etc/service. The
    reference takes no argument.

EXAMPLES

An entry of /etc/inittab:

  SV:123456:respawn:/usr/bin/svscanboot
`

const readproctitleDoc = `
readproctitle shows what it reads in its own argument list, where
ps(1) and /proc/PID/cmdline show it. Its last argument, dots, is the
display, at least five bytes long; the words before it are a label
that stays in front. readproctitle first turns every byte of the
display into a dot. Then, for each byte it reads from its standard
input (NUL bytes are skipped), it moves the display one place to the
left and puts the byte at the end, always keeping the first three
dots: the display holds the latest bytes of the input. readproctitle
exits at the end of its input.

svscanboot(8) runs it with the label "service errors:" and 400 dots,
so that ps shows the latest messages of svscan. Some versions of ps
cut long argument lists short; that limit applies to the whole of
readproctitle's arguments.

EXIT STATUS

0
    The end of the input.

100
    Fewer than two arguments, or a display shorter than five bytes.
    Nothing is printed.

111
    A read error, nothing printed.

DIFFERENCES FROM DAEMONTOOLS 0.76

A closed standard input [from ours]
    The Go runtime opens /dev/null on a closed standard descriptor
    before any of our code runs. Built as make build links it
    (linux/amd64), readproctitle closes it again and fails with EBADF
    and exit 111, as the reference does; built otherwise, it reads
    /dev/null and exits 0. Either way /dev/null must exist.

EXAMPLES

Started as

  readproctitle io errors: ....................

with a display of 20 dots, after reading "fatal error xyz", a
newline, "warning abc" and a newline, its arguments read
"io errors: ... xyz?warning abc?", where ps shows each newline as ?.
`
