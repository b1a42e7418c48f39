// Package supervision is the supervision engine: the per-service
// Supervisor (what `supervise DIR` runs, and what svscan runs for every
// service in one process), the process-wide child reaper, the status
// file shared with daemontools' and runit's clients, and the client side
// used by svc, svok and svstat.
package supervision

import (
	"encoding/binary"
	"errors"

	"github.com/daemontools-go/daemontools/timefmt"
)

// The status file is daemontools' 18 bytes, then runit's 2, so that
// Debian's svstat (which reads 18) and runit's sv (which reads 20) both
// understand it, then this engine's extension behind a version byte
// (EXTENSIONS.md §1.4), which neither reads.
const (
	// StatusSize is the size of the status file this engine writes.
	StatusSize = RunitStatusSize + ExtSize
	// DaemontoolsStatusSize is the size daemontools' supervise writes and
	// the least svstat accepts.
	DaemontoolsStatusSize = 18
	// RunitStatusSize is the size runit's runsv writes and sv reads.
	RunitStatusSize = 20
	// ExtSize is the size of the extension, version byte included.
	ExtSize = 44
	// ExtVersion is the extension's layout, in its first byte.
	ExtVersion = 1
	// MaxStatusSize is the longest status file: the extension may be
	// followed by up to 255 bytes of text (Ext.Text).
	MaxStatusSize = StatusSize + 255
)

// runit's state byte.
const (
	StateDown   = 0
	StateRun    = 1
	StateFinish = 2
)

// Status is the decoded content of supervise/status.
type Status struct {
	// Stamp is when Pid last changed.
	Stamp timefmt.TAI64N
	// Pid is the service's process id, 0 when it is down (the
	// finish script's while it runs, as runit shows it).
	Pid uint32
	// Paused is daemontools' paused byte (only ever set while up).
	Paused byte
	// Want is 'u', 'd', or 0 after `svc -o` (do not restart).
	Want byte
	// Term is runit's "got TERM" flag; State is runit's state byte.
	// Both are zero when decoded from an 18-byte daemontools file.
	Term  byte
	State byte
	// Runit reports whether the two runit bytes were present.
	Runit bool
	// Ext is this engine's extension, when the file has it.
	Ext Ext
}

// Ext is what this engine records beyond daemontools and runit: the
// phase of the service's life, its readiness, its last exit, and the
// state of its restart rules. Only this engine's clients read it.
type Ext struct {
	// Present reports whether the file had the extension.
	Present bool
	// Phase is one of the Phase constants.
	Phase byte
	// Flags is a set of the Flag constants.
	Flags byte
	// Exit says how ./run last ended: ExitNone, ExitCode or
	// ExitSignal, with the code or the signal number in ExitValue.
	Exit, ExitValue byte
	// Ready is when the service became ready (zero while it is not).
	Ready timefmt.TAI64N
	// Restart is when a pause before the next start ends (PhaseBackoff).
	Restart timefmt.TAI64N
	// Deaths counts the deaths within restart-limit's window, Window
	// (seconds) and Limit being that file's numbers (0 without it).
	Deaths, Window, Limit uint32
	// Text is what the service last said of itself (sd_notify's
	// STATUS=), at most 255 bytes, after the extension.
	Text string
}

// Phases of a service, the extension's view of it.
const (
	PhaseDown      = iota // not running, not about to be
	PhaseUp               // ./run runs (and is ready, if it says so)
	PhaseStarting         // ./run runs and has not said it is ready yet
	PhaseFinishing        // ./finish runs
	PhaseStopping         // asked down; killed when timeout-kill runs out
	PhaseBackoff          // down, started again at Restart
	PhaseFailed           // down for good: restart-limit gave up
)

// Flags of the extension.
const (
	FlagReadiness = 1 << iota // the service has a readiness method
	FlagPermanent             // ./finish exited 125: not restarted
	FlagStopping              // the service said it is stopping (sd_notify's STOPPING=1)
	FlagCgroup                // the current run is in a cgroup of its own (the cgroup file)
)

// How ./run last ended.
const (
	ExitNone = iota
	ExitCode
	ExitSignal
)

// ErrBadFormat is what svstat calls a status file shorter than 18 bytes.
var ErrBadFormat = errors.New("bad format")

// Encode returns the status file for st up to the end of the
// extension; Ext.Text, whose length is in it, follows (see Append).
func (st *Status) Encode() [StatusSize]byte {
	var b [StatusSize]byte
	st.Stamp.Pack(b[0:12])
	binary.LittleEndian.PutUint32(b[12:16], st.Pid)
	b[16] = st.Paused
	b[17] = st.Want
	b[18] = st.Term
	b[19] = st.State
	x := b[RunitStatusSize:]
	x[0] = ExtVersion
	x[1] = st.Ext.Phase
	x[2] = st.Ext.Flags
	x[3] = st.Ext.Exit
	x[4] = st.Ext.ExitValue
	x[5] = byte(min(len(st.Ext.Text), 255))
	st.Ext.Ready.Pack(x[8:20])
	st.Ext.Restart.Pack(x[20:32])
	binary.LittleEndian.PutUint32(x[32:36], st.Ext.Deaths)
	binary.LittleEndian.PutUint32(x[36:40], st.Ext.Window)
	binary.LittleEndian.PutUint32(x[40:44], st.Ext.Limit)
	return b
}

// Append appends the whole status file for st to b: Encode's bytes and
// Ext.Text.
func (st *Status) Append(b []byte) []byte {
	enc := st.Encode()
	b = append(b, enc[:]...)
	return append(b, st.Ext.Text[:enc[RunitStatusSize+5]]...)
}

// DecodeStatus reads a status file written by daemontools (18 bytes),
// runit (20) or this engine. An extension of another version, or cut
// short, is ignored, as daemontools' and runit's clients ignore it.
func DecodeStatus(b []byte) (Status, error) {
	if len(b) < DaemontoolsStatusSize {
		return Status{}, ErrBadFormat
	}
	st := Status{
		Stamp:  timefmt.Unpack(b[0:12]),
		Pid:    binary.LittleEndian.Uint32(b[12:16]),
		Paused: b[16],
		Want:   b[17],
	}
	if len(b) >= RunitStatusSize {
		st.Term, st.State, st.Runit = b[18], b[19], true
	}
	if x := b[min(len(b), RunitStatusSize):]; len(x) >= ExtSize && x[0] == ExtVersion {
		st.Ext = Ext{
			Present:   true,
			Phase:     x[1],
			Flags:     x[2],
			Exit:      x[3],
			ExitValue: x[4],
			Ready:     timefmt.Unpack(x[8:20]),
			Restart:   timefmt.Unpack(x[20:32]),
			Deaths:    binary.LittleEndian.Uint32(x[32:36]),
			Window:    binary.LittleEndian.Uint32(x[36:40]),
			Limit:     binary.LittleEndian.Uint32(x[40:44]),
		}
		if n := int(x[5]); len(x) >= ExtSize+n {
			st.Ext.Text = string(x[ExtSize : ExtSize+n])
		}
	}
	return st, nil
}
