package applets

// The manual of the executable itself, in the markup of doc.go.

const dispatcherDoc = `
daemontools holds every program of daemontools 0.76 in one static
executable. Which one runs is chosen by the name it is started under,
so a directory of symbolic links to it (a symlink farm, as
install-links makes) works as the reference's binaries do; or by its
first argument, as in daemontools svc -d /service/ftpd. Every applet
behaves as the reference's program of that name: same arguments, same
files, same messages, same exit codes, apart from the differences its
own page lists.

Started as daemontools applet arg..., the process takes the applet's
name before the applet runs, so that ps(1), pgrep(1) and pidof(8) see
what they would see had it been started through a link: the name
of the process (/proc/PID/comm, the one ps -C and ps -o comm match)
is the applet's, and its argument list (/proc/PID/cmdline, what ps -o
args shows) reads applet arg..., then as many NUL bytes as the
dispatcher's own first argument took, which ps and pidof ignore.
pidof svscan finds an svscan started as daemontools svscan /service.

COMMANDS

applet [arg...]
    Run applet with its arguments.

help [applet]
    Print the manual of applet (help daemontools prints this one),
    or, with no applet, the list of applets and how to call them.

--help, -h
    The list of applets and how to call them; so does daemontools
    alone.

--list, list
    The applets, one a line, with what each does.

--version, version
    Print the version: the git description of the sources it was
    built from (make build sets it), else the version the go command
    recorded for the module, else "devel".

install-links [-f] [-r] dir
    Make dir (and its parents) if needed, and in it a symbolic link
    named after every applet, pointing at this executable: at its
    absolute path, or with -r at its path relative to dir, so that
    links made in a staging tree (make install DESTDIR=...) still
    work once the tree is in place. Links that are already right are
    left alone. Anything else in the way is an error ("file already
    exists (use -f to replace it)") unless -f is given, and a
    directory is never replaced. Every conflict is found before
    anything is changed.

upgrade [dir]
    Ask the svscan running on dir (default /etc/service) to upgrade
    itself in place: it is sent USR2, and execs the executable found
    at the path it was started from, keeping every service, log pipe
    and supervisor's state (see svscan(8)). Every process named
    svscan whose working directory is dir is asked. For a package's
    post-install script, after the new executable has been renamed
    over the old one.

FILES

bin/daemontools
    Where make build puts the executable. make install copies it to
    PREFIX/bin, makes the links there with install-links -r, and
    installs the manual pages (section 8 for svscan, supervise,
    svscanboot, readproctitle, multilog and this page, section 1 for
    the rest) in PREFIX/share/man.

EXIT STATUS

The exit status of the applet, when one runs. Otherwise:

0
    The list, a manual or the version was printed, or the links are
    made.

100
    An unknown applet ("daemontools: fatal: unknown applet: name"),
    a usage error, or a conflict in install-links.

111
    The output could not be written, a link could not be made, or no
    svscan runs on the directory given to upgrade.

DIFFERENCES FROM DAEMONTOOLS 0.76

These apply to every applet; each applet's page lists its own.

What the process inherited is passed on [from ours]
    Before any of our code runs, the Go runtime replaces the handler
    of nearly every signal (an inherited ignore is lost), unblocks
    the signals it needs, and opens /dev/null on a closed descriptor
    0, 1 or 2. On linux/amd64, make build links the executable to
    start at an entry point of ours (privs.entry, a few instructions)
    that records that state first: the chain loaders put it back
    before they run the next program, and the filters close a
    descriptor that was closed. Built otherwise, the next program sees
    what the runtime left. Either way, a variable that appears twice
    in the environment is passed on once, and the open-files limit,
    which the runtime raises, is put back exactly.

Closed standard descriptors need /dev/null [from ours]
    The executable needs /dev/null to exist when it is started with a
    closed descriptor 0, 1 or 2 (an initramfs must provide /dev).

Accounts come from /etc/passwd only [from ours]
    The executable is static and pure Go: setuidgid and envuidgid
    read /etc/passwd themselves instead of asking NSS, so accounts
    that exist only in LDAP, systemd-userdb or NIS are unknown.

EXTENSIONS

One executable with a dispatcher [from ours]
    The reference is 17 programs. help, --list, --version and
    install-links are ours, and so is the naming of the process in
    the daemontools applet form.

EXAMPLES

  daemontools install-links /usr/local/bin
  daemontools help svc
  daemontools svscan /service
`
