package applets

// The manuals of multilog, tai64n and tai64nlocal, in the markup of
// doc.go.

const multilogDoc = `
multilog reads lines from its standard input and saves the ones it
selects in any number of automatically rotated log directories, in a
status file, or on its standard error. Its script is a list of
actions, one an argument, carried out in order for each line; quote
them from the shell. It is the usual ./run of a service's log
directory:

  #!/bin/sh
  exec multilog t ./main

Every line starts selected; + and - change that, and the actions
after them see the result. A line is at most 1000 bytes as far as
selection, e and = are concerned (a timestamp included); the
directories get the whole line. A partial last line gets a newline.

multilog exits 0 at the end of its input, after writing everything
out. Before it reads anything it sets umask 022, creates its status
files and opens every directory; a failure there is fatal (exit 111),
for instance when another multilog is using one of the directories.
After that nothing is fatal: when it cannot write, rename or run a
processor it says so on standard error ("multilog: warning: unable to
write to ./main/current, pausing: out of disk space"), waits five
seconds, tries again, and reads no more input meanwhile, which holds
back the program writing to it. No data is lost.

SCRIPT

t
    Put an @, a TAI64N timestamp (as tai64n(1) makes) and a space in
    front of every line. Only as the first action; elsewhere it is
    ignored. Patterns see the timestamp: with t, '+* fatal: *' matches
    a line that says "fatal: ", and '+fatal: *' matches nothing.

+pattern
    Select the line if pattern matches it.

-pattern
    Deselect the line if pattern matches it.

e
    Print the line on standard error, if it is selected: its first
    200 bytes and "..." when it is longer.

=file
    Replace the contents of file with the line, if it is selected,
    padded with newlines to 1001 bytes. file is never truncated or
    synced; it is made (mode 0600) at start-up even if no line ever
    goes there.

./dir, /dir
    Append the line to the log directory dir, if it is selected. dir
    takes the s, n and ! in force where it appears. One directory
    cannot be named twice, nor used by two multilogs.

ssize
    Rotate the directories that follow when current reaches about
    size bytes: 4096 to 16777215, default 99999. multilog ends a file
    at the first newline within 2000 bytes of size, so that files
    end at line boundaries; a file never exceeds size.

nnum
    Keep num-1 old files, at least 1, in the directories that follow
    (num at least 2, default 10).

!processor
    At each rotation in the directories that follow, run processor
    with /bin/sh -c, its standard input the finished file and its
    standard output the file to keep instead, and keep that. What it
    writes to descriptor 5 is handed to the next run on descriptor 4
    (the file state). A processor that exits non-zero, or is killed,
    is run again five seconds later; meanwhile no input is read.

Anything else is ignored, but for the words under EXTENSIONS.

A pattern is a string of literal bytes and stars that must match the
whole line. A star matches any string that does not contain the byte
after it, so it stops at the first such byte and never backtracks
(a*c matches abc but not abcbc); a star at the end matches the rest
of the line. There are no escapes, and an empty pattern matches only
an empty line. -* deselects every line.

LOG DIRECTORIES

A log directory (made with mode 0700 if missing) holds current, the
file being written, and old files named @ followed by the TAI64N time
it was finished and one of:

.s
    Finished cleanly: complete, synced to disk, processed.

.u
    Found unfinished at start-up (a crash or an outage): possibly
    truncated, not processed.

current is mode 0644 while multilog writes it, and 0744 once it has
been synced at the end of the input or on TERM: at start-up, a
current without the 0100 bit is finished as .u and a new one started.
At a rotation current is synced, renamed previous and made 0744, and
then, processed or not, it gets its @ name; old files past num-1 are
removed, oldest first. lock is flocked while multilog runs;
state holds the processor's state; previous, processed and newstate
exist only during a rotation.

SIGNALS

TERM
    Finish the line being read, write everything out, sync current,
    and exit 0, leaving the rest of the input unread.

ALRM
    Rotate every directory whose current is not empty, at once.

HUP, INT
    Their default action, as in the reference: current is left 0644
    and becomes a .u file at the next start.

EXIT STATUS

0
    The end of the input, or TERM.

111
    A fatal error at start-up, before any input was read: "multilog:
    fatal: unable to lock directory ./main: temporary failure",
    "unable to create file: ERR", "unable to open directory dir: ERR"
    and the like.

DIFFERENCES FROM DAEMONTOOLS 0.76

The clock is read once per read [from ours]
    With t, lines that arrive in the same read(2) carry the same
    stamp; the reference stamps each line when its first byte is
    read, microseconds apart. A line still keeps the stamp of the
    read its first byte came in, with the reference's microsecond
    resolution. Reading large blocks is what makes ours several times
    faster.

Nothing past the current line is read after TERM [from ours]
    When TERM arrives while the reference is busy, it still makes one
    more full read before it notices and logs what that read returns.
    Ours finishes the lines it has read, then takes at most the rest
    of the current line, a byte at a time, as the reference does when
    TERM finds it waiting.

A non-blocking standard input is waited on [from ours]
    The reference takes the EAGAIN of an empty non-blocking input for
    its end and exits; ours waits for data.

An old file that cannot be removed pauses multilog [from ours]
    The reference spins at full CPU forever when the oldest @ file
    cannot be removed (a directory with such a name, say); ours says
    "unable to remove dir/name, pausing: ERR" and tries again every
    five seconds.

The target of a dangling link is made [from ours]
    A log directory that is a symbolic link to nothing (./main ->
    /run/ftpd.log.main, say) fails in the reference ("unable to open
    directory ./main: file does not exist"). Ours makes the directory
    the link names, one level only and mode 0700, as Debian's
    supervise does for a dangling supervise link, so that a service
    directory on a read-only file system keeps its log on a tmpfs or
    in a pod's emptyDir, which start empty. A target whose parent is
    missing fails as before.

Up to one read is held in memory [from ours]
    Like the reference, multilog writes everything out before it
    waits for more input, syncs current before every rotation and at
    exit, and drops nothing on a write error. Killed outright (KILL,
    or HUP or INT) in the middle of a burst, it can lose what it had
    read and not yet written: up to one read of 64 KiB, where the
    reference can lose its 1.5 KiB of buffers.

A status file is written once per read [from ours]
    The reference rewrites a = file for every line selected for it;
    ours writes it once per read(2), with the last of those lines, so
    that the file holds what the reference's holds whenever multilog
    waits for input and at the end. A burst of selected lines costs
    one write instead of one per line.

EXTENSIONS

Each is a word that daemontools' multilog ignores, and counts only in
the exact form shown: T, 1, j and z alone, or S, R, X and z followed
by their number. Any other word is still ignored (Tfoo, 10, zz), and a
word of ours with a digit that does not parse (S10M, R1y) is ignored
with a warning at start-up. A script without these words runs exactly
as under daemontools. An age is a number of seconds, or a number and
s, m, h or d; 0 turns the setting off for the directories that follow.

1 [from s6]
    An action: copy the line to standard output, if it is selected,
    as a directory gets it (the whole line, however long), so that a
    container's runtime collects it. Output waits when standard
    output is full, as e waits on standard error. When a write fails
    (the reader has gone), multilog says "unable to write to stdout,
    closing it: ERR" once and writes nothing more there for the rest
    of the run. Two 1 actions write their copies in batches, a read's
    worth at a time, not line by line in turn.

T [from s6]
    The next action (1, e, = or a directory) gets, before each line,
    s6-log's local time stamp: YYYY-MM-DD HH:MM:SS.NNNNNNNNN and two
    spaces, in TZ's zone, the time of the read the line came in.
    After t the stamp follows the TAI64N label. It does not count
    towards e's 200 bytes; in a = file it counts towards the 1001.
    Patterns never see it.

Sbytes [from s6]
    The directories that follow keep at most bytes bytes of archives,
    the @ files named by multilog (current does not count): after
    each rotation, and at start-up, the oldest go until the rest fit,
    as s6-log does. With z an archive counts once it is compressed,
    at its compressed size. n still applies. S0, the default, is no
    limit.

Rage [from ours]
    The directories that follow rotate current once its first line is
    age old, as ALRM would, also when no more input comes, so that
    each file covers at most age (R1d: a file a day). The age is kept
    on the monotonic clock: setting the clock does not disturb it.
    After a restart it counts from when current was made.

Xage [from ours]
    The directories that follow remove archives older than age, by
    the time in their names: after each rotation, at start-up, and at
    the time the oldest expires, so that an idle service's old logs
    still go. A clock set back removes nothing early.

z, zN [from ours]
    The directories that follow gzip each archive once it is
    finished (level N from 1 to 9, 6 by default; z0 turns it off
    again), into @....s.gz or @....u.gz, beside the line loop: input
    is never held up by compression, which runs at the lowest CPU
    priority. The archive is compressed into compressing.tmp, synced,
    and only then renamed, so no archive is ever half-written under
    its name; a crash at any point leaves a state that the next start
    finishes (it removes compressing.tmp and compresses again). With
    a processor, its output, the .s file, is what is compressed. At
    the end of its input multilog finishes the compression under way
    and any that wait before it exits; a compression that fails then
    is left for the next start. Read the archives with zcat:
    zcat @*.s.gz | tai64nlocal.

j [from ours]
    The next directory or 1 gets JSON Lines, one object a line, for
    log shippers: {"time":"2024-05-01T12:00:00.123456789Z",
    "stamp":"@4000...", "service":"web", "msg":"the line"}. time is
    the read's time in UTC (RFC 3339, nine digits); stamp is the t
    label, only with t (msg then leaves it out); service is the name
    of the service when multilog runs as its log/run (the parent of
    the working directory log). Bytes that are not valid UTF-8 are
    written as \u00XX, their value, so that nothing is lost and
    every parser reads the line. An e or = between j and its action
    keeps the reference's format.

EXAMPLES

Keep 20 files of about 1 MB each, and the last line that mentions
"fatal" in ./status:

  multilog t s1000000 n20 ./main '-*' '+* fatal: *' =./status

Read a log with local times:

  tai64nlocal < /service/ftpd/log/main/current

In a container: every line to the runtime with a local time, and to
a directory of files of a day each, gzipped, kept for 30 days and at
most 1 GB:

  multilog t T 1 s16777215 n1000 R1d X30d S1000000000 z ./main
`

const tai64nDoc = `
tai64n copies its standard input to its standard output and puts an
@, a TAI64N timestamp and a space in front of every line. The stamp is
the time the line's first byte was read: 24 lowercase hex digits, 8
bytes of seconds (2^62 + 10 + the Unix time) and 4 of nanoseconds
(microseconds times 1000, plus 500). tai64nlocal(1) turns it into a
local time. A partial last line is copied without adding a newline.
tai64n takes no arguments.

  $ printf 'one\ntwo\n' | tai64n
  @4000000068a1b2c30b1a2f9c one
  @4000000068a1b2c30b1a2f9c two

EXIT STATUS

0
    The end of the input.

111
    A read or write error; nothing is printed. A closed pipe on the
    standard output kills tai64n with SIGPIPE first.

DIFFERENCES FROM DAEMONTOOLS 0.76

The clock is read once per read [from ours]
    Lines that arrive in the same read(2) carry the same stamp; the
    reference reads the clock for every line, microseconds apart. The
    stamp is still taken when the line's first byte is read, with the
    reference's microsecond resolution (every stamp ends in 500 ns).

A closed standard descriptor [from ours]
    The Go runtime opens /dev/null on a closed standard descriptor
    before any of our code runs. Built as make build links it
    (linux/amd64), tai64n closes it again and fails with EBADF and
    exit 111, as the reference does; built otherwise, it reads or
    writes /dev/null. Either way /dev/null must exist.
`

const tai64nlocalDoc = `
tai64nlocal copies its standard input to its standard output,
turning a TAI64N label at the start of a line (an @ and lowercase hex
digits, as tai64n(1) and multilog t write them) into the local time
it stands for, as YYYY-MM-DD HH:MM:SS.NNNNNNNNN. The rest of the line
follows unchanged; lines that do not start with @ are copied as they
are. The time zone is TZ's, or the system's. TAI is taken to be UTC
plus 10 seconds, without a table of leap seconds. tai64nlocal takes
no arguments.

  $ echo '@4000000037c219bf2ef02e94 hello' | TZ=UTC tai64nlocal
  1999-08-24 04:04:05.787492500 hello

EXIT STATUS

0
    The end of the input, also in the middle of a line.

111
    A read or write error; nothing is printed.

DIFFERENCES FROM DAEMONTOOLS 0.76

A malformed label is copied, not crashed on [from ours]
    The reference dies with SIGSEGV on a line that starts with @ but
    whose label does not decode to a year its localtime can show (@
    alone, @zz, a short label, extra digits, uppercase hex), losing
    what it had not written yet. Ours copies such a line unchanged
    and goes on. Every label the reference converts is converted the
    same.

A label cut short by the end of input is kept [from ours]
    When the input ends inside a label (the last line is @4000...
    with no newline), the reference prints nothing for it; ours
    copies it unchanged.

A closed standard descriptor [from ours]
    As for tai64n(1): /dev/null must exist, and with the entry hook
    of make build a closed descriptor fails with exit 111, as the
    reference does.
`
