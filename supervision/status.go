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

// The status file is daemontools' 18 bytes followed by runit's 2, so
// that Debian's svstat (which reads 18) and runit's sv (which insists on
// exactly 20) both understand it.
const (
	// StatusSize is the size of the status file this engine writes.
	StatusSize = 20
	// DaemontoolsStatusSize is the size daemontools' supervise writes and
	// the least svstat accepts.
	DaemontoolsStatusSize = 18
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
	// Pid is the service's process id, 0 when it is down.
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
}

// ErrBadFormat is what svstat calls a status file shorter than 18 bytes.
var ErrBadFormat = errors.New("bad format")

// Encode returns the 20-byte status file for st.
func (st *Status) Encode() [StatusSize]byte {
	var b [StatusSize]byte
	st.Stamp.Pack(b[0:12])
	binary.LittleEndian.PutUint32(b[12:16], st.Pid)
	b[16] = st.Paused
	b[17] = st.Want
	b[18] = st.Term
	b[19] = st.State
	return b
}

// DecodeStatus reads a status file written by daemontools (18 bytes),
// runit or this engine (20). Bytes past 20 are ignored, as both
// references ignore them.
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
	if len(b) >= StatusSize {
		st.Term, st.State, st.Runit = b[18], b[19], true
	}
	return st, nil
}
