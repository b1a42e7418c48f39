//go:build !linux || !amd64

package supervision

import "syscall"

// quickClone: no cloneRun for this architecture; ./run is started with
// ForkExec.
const quickClone = false

func cloneRun(nr, a1, a2, a3, a4, a5 uintptr, c *quickChild) (pid, errno uintptr) {
	return 0, uintptr(syscall.ENOSYS)
}
