package privs

import "syscall"

// Resource numbers that package syscall does not name on every
// platform. These are the generic Linux values (amd64, arm64, riscv64,
// ...).
const (
	RlimitCPU     = syscall.RLIMIT_CPU
	RlimitFsize   = syscall.RLIMIT_FSIZE
	RlimitData    = syscall.RLIMIT_DATA
	RlimitStack   = syscall.RLIMIT_STACK
	RlimitCore    = syscall.RLIMIT_CORE
	RlimitRSS     = 5
	RlimitNproc   = 6
	RlimitNofile  = syscall.RLIMIT_NOFILE
	RlimitMemlock = 8
	RlimitAS      = syscall.RLIMIT_AS
)

// ParseLimit reads a softlimit value as the reference does: "=" means
// the hard limit; otherwise the whole word must be decimal digits, and
// the number wraps modulo 2^64 as the reference's scan_ulong does. An
// empty word is 0. Anything else ("unlimited", "12k", "-1", "+5") is not
// a value.
func ParseLimit(s string) (value uint64, toHard bool, ok bool) {
	if s == "=" {
		return 0, true, true
	}
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false, false
		}
		value = value*10 + uint64(c)
	}
	return value, false, true
}

// Limit is one soft limit to set.
type Limit struct {
	Resource int
	Value    uint64 // ignored when ToHard
	ToHard   bool   // set the soft limit to the hard limit
}

// maxSaved bounds how many original limits a Limits keeps for
// RestoreRuntime; a fixed array means applying allocates nothing. Only
// three resources are kept, so a command line would have to repeat them
// absurdly often to run past it (the rest are then not restored).
const maxSaved = 16

// Limits applies soft limits in order, the way softlimit does, and can
// undo the ones that would stop the Go runtime from working.
type Limits struct {
	list  []Limit
	saved [maxSaved]struct {
		res int
		lim syscall.Rlimit
	}
	nsaved int
}

// Add appends a limit to apply.
func (l *Limits) Add(res int, value uint64, toHard bool) {
	l.list = append(l.list, Limit{Resource: res, Value: value, ToHard: toHard})
}

// Apply sets each soft limit in order: to the hard limit for ToHard,
// else to Value clamped silently to the hard limit. Hard limits are not
// touched. It allocates nothing, because once the address-space or data
// limit is low the Go runtime may not be able to grow its heap: callers
// prepare everything they need for exec first.
//
// RLIMIT_NOFILE goes through syscall.Setrlimit, which also tells the Go
// runtime not to restore the soft limit it found at start-up when it
// execs; without -o that restoration is what gives the next program the
// limit we were started with.
func (l *Limits) Apply() error {
	for _, lim := range l.list {
		var r syscall.Rlimit
		if err := syscall.Getrlimit(lim.Resource, &r); err != nil {
			return opErr(OpGetrlimit, "", err)
		}
		if l.nsaved < maxSaved && runtimeNeeds(lim.Resource) {
			l.saved[l.nsaved].res = lim.Resource
			l.saved[l.nsaved].lim = r
			l.nsaved++
		}
		if lim.ToHard || lim.Value > r.Max {
			r.Cur = r.Max
		} else {
			r.Cur = lim.Value
		}
		if err := syscall.Setrlimit(lim.Resource, &r); err != nil {
			return opErr(OpSetrlimit, "", err)
		}
	}
	return nil
}

// runtimeNeeds names the limits under which the Go runtime itself can
// fail (heap growth, new threads).
func runtimeNeeds(res int) bool {
	return res == RlimitAS || res == RlimitData || res == RlimitNproc
}

// RestoreRuntime puts back, in reverse order, the soft limits that Go
// needs to allocate and start threads, so that an error can be reported
// after every exec failed. The reference's C program needs no memory to
// print its message; without this ours could die trying. The other
// limits stay as they are, since they can matter to that message (a
// file-size limit on a redirected stderr, for one).
func (l *Limits) RestoreRuntime() {
	for i := l.nsaved - 1; i >= 0; i-- {
		syscall.Setrlimit(l.saved[i].res, &l.saved[i].lim)
	}
}
