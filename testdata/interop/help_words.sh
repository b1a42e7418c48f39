# Only the dispatcher gives help (daemontools help APPLET): the applets
# take --help, -h, --version, -V and help exactly as the reference's
# programs do, as options, arguments or script words. (svscanboot takes
# no arguments and would stop every service in /etc/service.)
for p in svc svok svstat supervise svscan multilog tai64n tai64nlocal \
	readproctitle setuidgid envuidgid envdir softlimit setlock fghack pgrphack; do
	for w in --help -h --version -V help; do
		$p $w </dev/null
		echo "$p $w: $?"
	done
done
