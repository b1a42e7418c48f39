package privs

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// The account files. Tests point these elsewhere.
var (
	PasswdFile = "/etc/passwd"
	GroupFile  = "/etc/group"
)

// ErrUnknown is returned for a name the account files do not hold.
var ErrUnknown = errors.New("unknown account")

// User is one /etc/passwd entry.
type User struct {
	Name  string
	UID   int
	GID   int
	Home  string
	Shell string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// LookupUser returns the first /etc/passwd entry named name, as
// getpwnam(3) does with the "files" source. Comment lines, blank lines,
// NIS compat lines ("+..." and "-...") and lines whose uid or gid is not
// a number are skipped. An unreadable file looks like an unknown name to
// the caller, as it does to the reference (getpwnam just returns NULL);
// the error still says which.
func LookupUser(name string) (User, error) {
	data, err := readFile(PasswdFile)
	if err != nil {
		return User{}, err
	}
	var f [7][]byte
	for line := range lines(data) {
		n := fields(line, f[:])
		if n < 4 || string(f[0]) != name || !plainName(f[0]) {
			continue
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			continue
		}
		u := User{Name: name, UID: uid, GID: gid}
		if n > 5 {
			u.Home = string(f[5])
		}
		if n > 6 {
			u.Shell = string(f[6])
		}
		return u, nil
	}
	return User{}, ErrUnknown
}

// LookupGroup returns the first /etc/group entry named name, with the
// same rules as LookupUser.
func LookupGroup(name string) (Group, error) {
	data, err := readFile(GroupFile)
	if err != nil {
		return Group{}, err
	}
	var f [4][]byte
	for line := range lines(data) {
		n := fields(line, f[:])
		if n < 3 || string(f[0]) != name || !plainName(f[0]) {
			continue
		}
		gid, ok := parseID(f[2])
		if !ok {
			continue
		}
		g := Group{Name: name, GID: gid}
		if n > 3 && len(f[3]) > 0 {
			for m := range bytes.SplitSeq(f[3], []byte{','}) {
				if len(m) > 0 {
					g.Members = append(g.Members, string(m))
				}
			}
		}
		return g, nil
	}
	return Group{}, ErrUnknown
}

// readFile reads path whole with plain system calls. os.ReadFile would
// make an *os.File, and the first one a program opens starts the Go
// runtime's poller (an epoll and an eventfd descriptor), which a
// program run next in this process must not find (see runInProcess).
func readFile(path string) ([]byte, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	data := make([]byte, 0, 4096)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := syscall.Read(fd, data[len(data):cap(data)])
		switch {
		case err == syscall.EINTR:
		case err != nil:
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		case n == 0:
			return data, nil
		default:
			data = data[:len(data)+n]
		}
	}
}

// lines yields the lines of data that can hold an entry: leading blanks
// are dropped, and empty and comment lines skipped, as glibc's files
// backend does.
func lines(data []byte) func(func([]byte) bool) {
	return func(yield func([]byte) bool) {
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			line = bytes.TrimLeft(line, " \t")
			if len(line) == 0 || line[0] == '#' {
				continue
			}
			if !yield(line) {
				return
			}
		}
	}
}

// fields splits line at ':' into f and returns how many fields it has.
// The last slot takes the rest of the line.
func fields(line []byte, f [][]byte) int {
	n := 0
	for n < len(f)-1 {
		i := bytes.IndexByte(line, ':')
		if i < 0 {
			break
		}
		f[n] = line[:i]
		line = line[i+1:]
		n++
	}
	f[n] = line
	return n + 1
}

// plainName rejects the NIS compat entries, which the files source does
// not resolve by name.
func plainName(b []byte) bool {
	return len(b) > 0 && b[0] != '+' && b[0] != '-'
}

// parseID accepts a decimal uid or gid that fits in 32 bits.
func parseID(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(string(b), 10, 32)
	if err != nil {
		return 0, false
	}
	return int(v), true
}
