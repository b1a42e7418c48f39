package applets

// The manuals of the chain loaders, in the markup of doc.go. Each of
// them changes one thing about the process and then runs child (found
// in PATH, as execvp does, with no shell), so most of their text is
// shared: chainExec, chainExitUsage100 and chainInherited, which start
// and end with a newline.

// chainExec says how child is found and run.
const chainExec = `
child replaces the loader in the same process (same pid), so the exit
status is child's. A child without a slash is searched for in PATH
(/bin:/usr/bin if PATH is unset; an empty entry is the current
directory). There is no shell: a script needs its #! line. When child
is this executable again (another loader, multilog, ...), it runs in
the same process without a second start-up, looking exactly as if it
had been exec'd.
`

// chainInherited is the difference every chain loader has.
const chainInherited = `
What the process inherited is passed on [from ours]
    The Go runtime replaces the handler of nearly every signal (an
    inherited ignore is lost), unblocks the signals it needs and
    opens /dev/null on a closed descriptor 0, 1 or 2, before any of
    our code runs. Built as make build links it (linux/amd64), the
    executable starts at a few instructions that record that state,
    and it is put back just before child is run, so child sees what
    it would see under the reference. Built otherwise, those three
    are passed on as the runtime left them. Either way a variable
    that appears twice in the environment is passed on once, the
    open-files limit (which the runtime raises for itself) is put
    back exactly, and /dev/null must exist.

Our own programs run in the loader's process [from ours]
    When the file the PATH search finds is this executable (the
    device and inode of /proc/self/exe) and would run one of its
    applets, the loader runs that applet itself instead of paying a
    second Go start-up, so exec envdir ./env setuidgid log softlimit
    -d 3000000 multilog t ./main starts the runtime once. What the
    exec would do is done by hand: the argument and environment
    areas (so ps, /proc/PID/cmdline and environ show multilog t
    ./main and its environment), the name of the main thread (what
    ps shows) at each step and of every thread once the program that
    stays runs, the environment, the close-on-exec descriptors closed
    (the runtime's own kept), the signal handlers as the runtime sets
    them up, the limits, the credentials of every thread before a
    program of ours other than a loader runs (a chain of loaders that
    ends in a program not ours runs on the one thread setuidgid
    changed, as the exec would), the dumpable flag.
    Whatever cannot be made exactly so makes the loader exec as
    before: softlimit -o for a program of ours, a new GOGC, GODEBUG,
    GOMAXPROCS or GOMEMLIMIT, a setlock lock put where the runtime
    holds a descriptor, an argument list the exec would refuse, ids
    or capabilities the exec would change, a security label, a
    kernel without prctl(PR_SET_MM_MAP). A debugger or strace sees
    no execve for the programs run this way, and the auxiliary
    vector still names the first one. DAEMONTOOLS_NO_INPROCESS set
    to anything makes every loader exec.
`

const chainExitUsage100 = `
EXIT STATUS

The exit status of child, once it runs. Before that:

100
    A usage error.

111
    child cannot be run ("unable to run child: ERR"), or the step
    before it failed.
`

const setuidgidDoc = `
setuidgid runs child with the user and group ids of account, and with
no supplementary groups but account's group: it sets the group list
to that one group, then the group id, then the user id. The
environment, HOME and USER included, is left as it is. Only root can
do this. Diagnostics: "setuidgid: fatal: unknown account name",
"unable to setgid: ERR", "unable to setuid: ERR".
` + chainExec + `

FILES

/etc/passwd
    Where account is looked up: the first entry of that name.
` + chainExitUsage100 + `

DIFFERENCES FROM DAEMONTOOLS 0.76

Accounts come from /etc/passwd only [from ours]
    The executable is static and pure Go, so it reads /etc/passwd
    itself (comments, blank lines and NIS + and - lines skipped)
    instead of asking NSS: an account that exists only in LDAP,
    systemd-userdb, NIS or the like is unknown to it.
` + chainInherited + `

EXAMPLES

  exec setuidgid www /usr/sbin/httpd -f
`

const envuidgidDoc = `
envuidgid runs child with the environment variables UID and GID set
to the user id and the group id of account, in decimal. The process's
own ids do not change: a later setuidgid, or the program itself, can
use them. "envuidgid: fatal: unknown account name" when there is no
such account.
` + chainExec + `

FILES

/etc/passwd
    Where account is looked up: the first entry of that name.
` + chainExitUsage100 + `

DIFFERENCES FROM DAEMONTOOLS 0.76

Accounts come from /etc/passwd only [from ours]
    As for setuidgid(1): NSS is not used, so an account that exists
    only in LDAP, systemd-userdb or NIS is unknown.
` + chainInherited

const envdirDoc = `
envdir runs child with environment variables set from the files in
dir. Each file whose name does not start with a dot names a variable.
An empty file removes it. Otherwise the value is the file's first
line, without its trailing spaces and tabs and with every NUL byte
turned into a newline; leading blanks stay, and a file holding just a
newline sets the variable to the empty string. A value that was
there is replaced. A file that cannot be read (a subdirectory, say)
is fatal: "envdir: fatal: unable to read dir/name: ERR".
` + chainExec + `

EXIT STATUS

The exit status of child, once it runs. Before that:

111
    A usage error ("envdir: usage: envdir dir child", 111 and not
    100, as in the reference), dir cannot be read, or child cannot be
    run.

DIFFERENCES FROM DAEMONTOOLS 0.76

An entry that dangles is skipped [from ours]
    A file that cannot be opened because it does not exist (a
    symbolic link that dangles, or one removed while envdir reads the
    directory) is skipped. The reference instead gives the variable
    the previous file's value with a newline added, or removes it
    when the entry comes first.
` + chainInherited + `

EXAMPLES

  mkdir env && echo /var/lib/db >env/DATADIR
  exec envdir ./env /usr/sbin/dbd
`

const softlimitDoc = `
softlimit runs child with some soft resource limits changed, in the
order the options are given. Each value is a number in decimal, or =
for the hard limit; a value above the hard limit is lowered to it,
without a message. Hard limits are left alone.
` + chainExec + `

OPTIONS

-a allbytes
    The address space (RLIMIT_AS).

-c corebytes
    The size of a core file (RLIMIT_CORE).

-d databytes
    The data segment (RLIMIT_DATA).

-f filebytes
    The size of a file the process writes (RLIMIT_FSIZE).

-l lockbytes
    Locked memory (RLIMIT_MEMLOCK).

-m membytes
    All four of -d, -s, -l and -a.

-o openfiles
    Open descriptors (RLIMIT_NOFILE).

-p processes
    Processes of the user (RLIMIT_NPROC).

-r residentbytes
    The resident set (RLIMIT_RSS).

-s stackbytes
    The stack (RLIMIT_STACK).

-t cpusecs
    CPU seconds (RLIMIT_CPU).

Options may be bundled and their values attached (-m30000000); a
value that is not digits or = (unlimited, 12k, nothing) is a usage
error.
` + chainExitUsage100 + `

DIFFERENCES FROM DAEMONTOOLS 0.76

The limits skip our own chain loaders [from ours]
    A Go program cannot start under the memory limits C programs
    live with: the runtime reserves hundreds of megabytes of address
    space before main. So in softlimit -m 30000000 setlock file prog,
    our softlimit hands the limits down (in the variable
    DAEMONTOOLS_DEFERRED_SOFTLIMIT, which only our loaders see) and
    the last of our loaders in the chain sets them, in order and with
    softlimit's rules, just before it runs prog. prog gets exactly
    the limits and the environment it would get from the reference;
    only our loaders in between run without them, so a limit too
    small for the reference's own loaders makes prog fail instead.
    Our other programs right behind softlimit (multilog, supervise)
    get its other limits but not the address-space, data, stack and
    process limits, without which they could not start at all; run
    in the loader's process they get the same, since the runtime,
    already running, would fail at its next allocation under them.
` + chainInherited + `

EXAMPLES

  exec softlimit -m 50000000 -o 100 ./server
`

const setlockDoc = `
setlock opens file for appending (creating it with mode 0600, never
truncating it), takes an exclusive flock(2) lock on it, waiting for
the lock unless -n is given, and runs child. child inherits the open
descriptor (normally descriptor 3), so the lock is held until child
and every process that inherited the descriptor from it have closed
it.
` + chainExec + `

OPTIONS

-n
    Do not wait: fail at once if the lock is taken.

-N
    Wait for the lock (the default).

-x
    If file cannot be opened or locked, exit 0 without a message.

-X
    Report those failures and exit 111 (the default).

The last of -n and -N, and of -x and -X, wins.

EXIT STATUS

The exit status of child, once it runs. Before that:

0
    With -x, file could not be opened or locked.

100
    A usage error.

111
    "unable to open file: ERR", "unable to lock file: temporary
    failure", or child cannot be run (also with -x).

DIFFERENCES FROM DAEMONTOOLS 0.76

It dies of the signals the reference dies of [from ours]
    While it waits for the lock, the signals whose default action
    ends a process but which the Go runtime would catch (ALRM, USR1,
    USR2, PIPE, QUIT and the like) have their default action (or are
    ignored, when they were ignored at start-up), so svc -a ends it
    as it ends the reference.
` + chainInherited + `

EXAMPLES

Run a cron job unless the last one is still running:

  setlock -nx /var/lock/backup.lock /usr/local/bin/backup
`

const fghackDoc = `
fghack runs child, a program that puts itself in the background, and
stays in the foreground until child and everything it started are
done, so that supervise(8) can watch it. fghack forks; child is given
31 copies of the write end of a pipe (descriptors 3 and up) and run
as the other loaders run it (PATH searched, no shell); fghack reads
the pipe until every process holding one of them has closed it or
exited, then waits for child and exits with its status. A daemon that
closes all its descriptors defeats it.

EXIT STATUS

child's exit status. Otherwise:

100
    A usage error.

111
    The pipe or the fork failed, child cannot be run, or child was
    killed by a signal ("fghack: fatal: child crashed").

DIFFERENCES FROM DAEMONTOOLS 0.76

It dies of the signals the reference dies of [from ours]
    While it waits for the daemon, the signals whose default action
    ends a process but which the Go runtime would catch have their
    default action (or are ignored, when they were ignored at
    start-up), as in setlock(1).

Under softlimit, a child of our own [from ours]
    When softlimit(1) has handed limits down, fghack's forked child
    is this executable again: it sets them and runs the program (or
    says why it could not and exits 111, as the reference's child
    does), so that fghack itself never runs under them.
` + chainInherited

const pgrphackDoc = `
pgrphack runs child in a new session, and so in a new process group
of its own (setsid(2); a failure, as when it is already a session
leader, is ignored), so that a program that signals its own process
group does not signal supervise, and signals sent to supervise's
group do not reach it.
` + chainExec + `
EXIT STATUS

The exit status of child, once it runs. Before that:

100
    A usage error.

111
    child cannot be run ("pgrphack: fatal: unable to run child:
    ERR").

DIFFERENCES FROM DAEMONTOOLS 0.76
` + chainInherited
