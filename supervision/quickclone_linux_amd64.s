#include "textflag.h"

// func cloneRun(nr, a1, a2, a3, a4, a5 uintptr, c *quickChild) (pid, errno uintptr)
//
// clone(2) and clone3(2) return in the child on the stack given to them,
// where none of Go's frames are: the child calls quickChildMain from
// there and never comes back. Every register but AX and SP reaches the
// child as it was, R12 carrying c. The call goes through the func value
// quickChildFn, with the internal ABI (c in AX, X15 zero), because a
// call by name from assembly goes through an ABI wrapper, which in a
// race-detector build calls racefuncenter: in the child, that would
// write the race detector's state of the parent's goroutine.
TEXT ·cloneRun(SB),NOSPLIT,$0-72
	MOVQ	c+48(FP), R12
	MOVQ	a1+8(FP), DI
	MOVQ	a2+16(FP), SI
	MOVQ	a3+24(FP), DX
	MOVQ	a4+32(FP), R10
	MOVQ	a5+40(FP), R8
	MOVQ	nr+0(FP), AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	ok
	NEGQ	AX
	MOVQ	$0, pid+56(FP)
	MOVQ	AX, errno+64(FP)
	RET
ok:
	MOVQ	AX, pid+56(FP)
	MOVQ	$0, errno+64(FP)
	RET
child:
	ANDQ	$~15, SP
	SUBQ	$16, SP
	XORPS	X15, X15
	MOVQ	R12, AX
	MOVQ	·quickChildFn(SB), DX
	MOVQ	0(DX), BX
	CALL	BX
	MOVL	$111, DI
	MOVL	$231, AX // exit_group
	SYSCALL
	INT	$3
