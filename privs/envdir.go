package privs

import (
	"bytes"
	"syscall"
	"unsafe"
)

// EnvValue turns the contents of an envdir file into the variable's
// value, by daemontools' rules: only the first line counts, trailing
// spaces and tabs are removed, leading blanks are kept, and NUL bytes
// become newlines. The caller handles the 0-byte file, which removes the
// variable instead (a file holding just "\n" sets it to "").
func EnvValue(content []byte) string {
	if i := bytes.IndexByte(content, '\n'); i >= 0 {
		content = content[:i]
	}
	n := len(content)
	for n > 0 && (content[n-1] == ' ' || content[n-1] == '\t') {
		n--
	}
	b := make([]byte, n)
	copy(b, content)
	for i, c := range b {
		if c == 0 {
			b[i] = '\n'
		}
	}
	return string(b)
}

// ReadEnvDir reads the environment directory dir as daemontools' envdir
// does and returns the changes for MergeEnv, in the directory's own
// order: "NAME=VALUE" for a file with contents, "NAME" (remove) for an
// empty one. Names starting with a dot are skipped, and so are entries
// that vanish or dangle (open says "does not exist"): the reference gives
// those the previous file's value, which is a bug we do not copy.
//
// Like the reference it changes into dir to read it and changes back
// afterwards, so that the errors (and the permissions needed) are the
// reference's: the directory needs search permission to be entered and
// read permission to be listed.
func ReadEnvDir(dir string) ([]string, error) {
	orig, err := openRead(".")
	if err != nil {
		return nil, opErr(OpOpenCwd, "", err)
	}
	defer syscall.Close(orig)
	if err := syscall.Chdir(dir); err != nil {
		return nil, opErr(OpChdir, dir, err)
	}
	changes, err := readEntries(dir)
	if err2 := syscall.Fchdir(orig); err2 != nil && err == nil {
		return nil, opErr(OpReturnCwd, "", err2)
	}
	if err != nil {
		return nil, err
	}
	return changes, nil
}

func openRead(name string) (int, error) {
	var fd int
	err := retry(func() (err error) {
		fd, err = syscall.Open(name, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		return err
	})
	return fd, err
}

// readEntries reads "." (which is dir).
func readEntries(dir string) ([]string, error) {
	var dfd int
	err := retry(func() (err error) {
		dfd, err = syscall.Open(".", syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, opErr(OpReadDir, dir, err)
	}
	defer syscall.Close(dfd)
	var changes []string
	buf := make([]byte, 2048)
	var content []byte
	for {
		var n int
		err := retry(func() (err error) {
			n, err = syscall.ReadDirent(dfd, buf)
			return err
		})
		if err != nil {
			return nil, opErr(OpReadDir, dir, err)
		}
		if n <= 0 {
			return changes, nil
		}
		for b := buf[:n]; len(b) > 0; {
			name, reclen := direntName(b)
			if reclen == 0 || reclen > len(b) {
				return nil, opErr(OpReadDir, dir, syscall.EIO)
			}
			b = b[reclen:]
			if len(name) == 0 || name[0] == '.' {
				continue
			}
			var ok bool
			content, ok, err = readFirstLine(string(name), content[:0])
			if err != nil {
				return nil, opErr(OpReadFile, dir+"/"+string(name), err)
			}
			if !ok {
				continue // vanished or dangling
			}
			if content == nil {
				changes = append(changes, string(name))
			} else {
				changes = append(changes, string(name)+"="+EnvValue(content))
			}
		}
	}
}

// direntName decodes one linux_dirent64 record: d_ino (8), d_off (8),
// d_reclen (2), d_type (1), then the NUL-terminated name.
func direntName(b []byte) (name []byte, reclen int) {
	const nameOff = 19
	if len(b) < nameOff {
		return nil, 0
	}
	reclen = int(*(*uint16)(unsafe.Pointer(&b[16])))
	if reclen < nameOff || reclen > len(b) {
		return nil, 0
	}
	name = b[nameOff:reclen]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	return name, reclen
}

// readFirstLine reads the file name to its end, as the reference does
// (so a read error anywhere in it is reported), but keeps only the bytes
// before the first newline, appended to buf, plus that newline. It
// returns nil for a 0-byte file, and ok=false when the file does not
// exist.
func readFirstLine(name string, buf []byte) (content []byte, ok bool, err error) {
	fd, err := openRead(name)
	if err == syscall.ENOENT {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer syscall.Close(fd)
	var chunk [512]byte
	total := 0
	done := false // the first line is complete
	for {
		var n int
		err := retry(func() (err error) {
			n, err = syscall.Read(fd, chunk[:])
			return err
		})
		if err != nil {
			return nil, false, err
		}
		if n <= 0 {
			break
		}
		total += n
		if done {
			continue
		}
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			buf = append(buf, chunk[:i+1]...)
			done = true
		} else {
			buf = append(buf, chunk[:n]...)
		}
	}
	if total == 0 {
		return nil, true, nil
	}
	if buf == nil {
		buf = []byte{}
	}
	return buf, true, nil
}
