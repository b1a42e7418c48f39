package privs

import "syscall"

// Drop switches the whole process to uid and gid the way daemontools'
// setuidgid does, in its order: the supplementary groups become exactly
// {gid}, then the gid, then the uid. Go's syscall wrappers apply each
// change to every thread of the process, so no thread keeps root.
func Drop(uid, gid int) error {
	if err := syscall.Setgroups([]int{gid}); err != nil {
		return opErr(OpSetgid, "", err)
	}
	if err := syscall.Setgid(gid); err != nil {
		return opErr(OpSetgid, "", err)
	}
	if err := syscall.Setuid(uid); err != nil {
		return opErr(OpSetuid, "", err)
	}
	return nil
}
