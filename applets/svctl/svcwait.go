package svctl

import (
	"bytes"
	"syscall"
	"time"

	"github.com/daemontools-go/daemontools/applets/internal/diag"
	"github.com/daemontools-go/daemontools/supervision"
)

// svc -w (ours, with s6-svc's letters and its exit code 99): send the
// commands as svc does, then wait until every dir is in the state the
// letter names, woken by the supervisors' own status writes
// (supervision.Watch), with -T's deadline as the only timer.

const waitUsage = "svc -w u|U|d|D|r|R [-T ms] [-udopchaitkx] dir..."

// Exit codes of svc -w besides 0 (s6-svc's).
const (
	exitTimedOut = 99
	exitTrouble  = 111
)

type waitArgs struct {
	goal    byte
	timeout bool
	ms      uint64
}

// parse takes -w's or -T's argument, reporting whether it is valid.
func (w *waitArgs) parse(c byte, arg string) bool {
	if c == 'w' {
		if len(arg) != 1 || !supervision.IsGoal(arg[0]) {
			return false
		}
		w.goal = arg[0]
		return true
	}
	if arg == "" || len(arg) > 12 {
		return false
	}
	var ms uint64
	for i := 0; i < len(arg); i++ {
		if arg[i] < '0' || arg[i] > '9' {
			return false
		}
		ms = ms*10 + uint64(arg[i]-'0')
	}
	w.timeout, w.ms = true, ms
	return true
}

// target is one dir being waited for.
type target struct {
	dir    string
	i      int // its number in the Watch
	before supervision.Status
	done   bool
	// cleared: a status showing the service not given up has been
	// seen, so a failure seen after it is not a stale one (see look).
	cleared bool
}

func svcWait(dirs []string, cmds []byte, args waitArgs) int {
	var deadline time.Time
	if args.ms != 0 {
		deadline = time.Now().Add(time.Duration(args.ms) * time.Millisecond)
	}
	watch, err := supervision.NewWatch()
	if err != nil {
		return diag.Fatal("svc", exitTrouble, "unable to wait", err)
	}
	defer watch.Close()
	orig, err := openCwd()
	if err != nil {
		return diag.Fatal("svc", exitTrouble, "unable to open current directory", err)
	}
	// u and o are the commands that lift a failure: with one of them
	// sent, a failure counts only once the service has been seen out
	// of it.
	lifts := bytes.IndexByte(cmds, 'u') >= 0 || bytes.IndexByte(cmds, 'o') >= 0
	trouble := false
	var targets []target
	for _, dir := range dirs {
		if err := syscall.Chdir(dir); err != nil {
			diag.Warn("svc", "unable to chdir to "+dir, err)
			trouble = true
		} else {
			// Watch, then read, then send: no change after the
			// command can be missed.
			i, werr := watch.Add(".")
			var before supervision.Status
			if werr == nil {
				before, _ = watch.Status(i)
			}
			if err := supervision.Control(".", cmds); err != nil {
				controlFailed(dir, err)
				trouble = true
			} else if werr != nil {
				waitFailed(dir, werr)
				trouble = true
			} else {
				targets = append(targets, target{dir: dir, i: i, before: before, cleared: !lifts})
			}
		}
		if err := syscall.Fchdir(orig); err != nil {
			return diag.Fatal("svc", exitTrouble, "unable to set directory", err)
		}
	}
	if trouble {
		return exitTrouble
	}
	for i := range targets {
		if !targets[i].look(watch, args.goal) {
			return exitTrouble
		}
	}
	for {
		pending := false
		for i := range targets {
			pending = pending || !targets[i].done
		}
		if !pending {
			return 0
		}
		changed, err := watch.Wait(deadline)
		if err != nil {
			return diag.Fatal("svc", exitTrouble, "unable to wait", err)
		}
		if changed == nil {
			for _, t := range targets {
				if !t.done {
					diag.Warn("svc", "timed out waiting for "+t.dir, nil)
				}
			}
			return exitTimedOut
		}
		for _, n := range changed {
			for i := range targets {
				if targets[i].i == n && !targets[i].done && !targets[i].look(watch, args.goal) {
					return exitTrouble
				}
			}
		}
	}
}

// look reads t's status and decides: reached (done), still to come, or
// never (false, after a warning): its supervisor has gone, or the
// service will not come up.
func (t *target) look(watch *supervision.Watch, goal byte) bool {
	st, err := watch.Status(t.i)
	switch {
	case err == syscall.ENOENT:
		// A supervisor that has not written its first status yet.
	case err != nil:
		waitFailed(t.dir, err)
		return false
	case supervision.Reached(goal, &t.before, &st):
		t.done = true
		return true
	case wantsUp(goal) && st.GaveUp():
		if t.cleared {
			diag.Warn("svc", t.dir+" failed: "+reason(&st), nil)
			return false
		}
	default:
		t.cleared = true
	}
	if watch.Gone(t.i) {
		diag.Warn("svc", "unable to wait for "+t.dir+": supervise not running", nil)
		return false
	}
	return true
}

func wantsUp(goal byte) bool {
	return goal != supervision.GoalDown && goal != supervision.GoalSettled
}

func waitFailed(dir string, err error) {
	if we, ok := err.(*supervision.WatchError); ok {
		if we.Err == supervision.ErrNotRunning {
			diag.Warn("svc", "unable to control "+dir+": supervise not running", nil)
			return
		}
		path := dir
		if we.Path != "" {
			path += "/" + we.Path
		}
		diag.Warn("svc", "unable to "+we.Op+" "+path, we.Err)
		return
	}
	diag.Warn("svc", "unable to read "+dir+"/supervise/status", err)
}
