package supervision

// quickClone: cloneRun exists here.
const quickClone = true

// cloneRun makes system call nr (clone or clone3) with a1...a5, which
// must ask for a stack of the child's own. It returns the child's pid
// or the errno; the child runs quickChildMain(c) on its stack.
func cloneRun(nr, a1, a2, a3, a4, a5 uintptr, c *quickChild) (pid, errno uintptr)

// quickChildFn is what cloneRun calls in the child.
var quickChildFn = quickChildMain
