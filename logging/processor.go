package logging

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// runProcessor runs the processor until it succeeds: previous on fd 0,
// processed on fd 1, state on fd 4, newstate on fd 5, in the directory.
// A failure is retried after a pause, forever, as the reference does.
func (d *logDir) runProcessor() {
	for {
		pid, ok := d.startProcessor()
		if ok {
			ws, err := d.h.spawner.Wait(pid)
			switch {
			case err != nil:
				d.h.note(err)
				d.h.pause("wait failed for processor in "+d.name, err)
			case ws.Signaled():
				// The reference prints whatever errno was left over.
				d.h.pause("processor crashed in "+d.name, d.h.errno)
			case ws.ExitStatus() == 0:
				d.afterProcessor()
				return
			}
		}
		d.h.pause("processor failed in "+d.name, nil)
	}
}

// startProcessor opens the processor's files and starts it. When the
// reference's child would have failed to set up or to exec, it prints
// the child's message and reports failure (the reference's child exits
// 111). A failed fork pauses and tries again.
func (d *logDir) startProcessor() (pid int, ok bool) {
	d.h.retry(func() string { return "unable to fork for processor in " + d.name }, func() error {
		var fds []int
		closeAll := func() {
			for _, fd := range fds {
				unix.Close(fd)
			}
		}
		var err error
		for _, f := range []struct {
			name  string
			flags int
		}{{"previous", oRead}, {"processed", oTrunc}, {"state", oRead}, {"newstate", oTrunc}} {
			var fd int
			fd, err = unix.Openat(d.fd, f.name, f.flags, 0o644)
			if err != nil {
				break
			}
			fds = append(fds, fd)
		}
		if err != nil {
			closeAll()
			d.h.fatal("unable to run "+d.cfg.Processor, err)
			return nil
		}
		fd3 := ^uintptr(0) // closed in the child, unless we inherited an open fd 3
		if flags, err := unix.FcntlInt(3, unix.F_GETFD, 0); err == nil && flags&unix.FD_CLOEXEC == 0 {
			fd3 = 3
		}
		attr := &syscall.ProcAttr{
			Dir:   d.procDir,
			Env:   os.Environ(),
			Files: []uintptr{uintptr(fds[0]), uintptr(fds[1]), 2, fd3, uintptr(fds[2]), uintptr(fds[3])},
		}
		pid, err = d.h.spawner.Start("/bin/sh", []string{"sh", "-c", d.cfg.Processor}, attr)
		closeAll()
		if err == nil {
			ok = true
			return nil
		}
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			return err // retried
		}
		d.h.note(err)
		d.h.fatal("unable to run "+d.cfg.Processor, err)
		return nil
	})
	return pid, ok
}

// afterProcessor makes the processor's output durable and finishes it.
func (d *logDir) afterProcessor() {
	d.syncFile("processed", true)
	d.syncFile("newstate", false)
	d.h.retry(func() string { return "unable to remove " + d.name + "/previous" }, func() error {
		return unix.Unlinkat(d.fd, "previous", 0)
	})
	d.h.retry(func() string { return "unable to rename newstate to state in directory " + d.name }, func() error {
		return unix.Renameat(d.fd, "newstate", d.fd, "state")
	})
	d.finish("processed", 's')
}

// syncFile makes name durable, and when it is a finished log file gives
// it the mode 0744 of one.
func (d *logDir) syncFile(name string, finished bool) {
	var fd int
	d.h.retry(func() string { return "unable to create " + d.name + "/" + name }, func() error {
		var err error
		fd, err = unix.Openat(d.fd, name, oAppend, 0o600)
		return err
	})
	d.h.retry(func() string { return "unable to write " + d.name + "/" + name + " to disk" }, func() error {
		return d.h.sync(fd)
	})
	if finished {
		d.h.retry(func() string { return "unable to set mode of " + d.name + "/" + name }, func() error {
			return unix.Fchmod(fd, 0o744)
		})
	}
	unix.Close(fd)
}
