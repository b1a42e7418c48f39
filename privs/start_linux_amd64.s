#include "textflag.h"

// entry is the executable's ELF entry point when it is linked with
// -ldflags=-E=github.com/daemontools-go/daemontools/privs.entry (the
// Makefile and the test harness do so). Before the Go runtime starts and
// changes them, it records what the process inherited: the signal mask,
// which signals are ignored, and which of fds 0-2 are closed. Then it
// jumps to the runtime's own entry point with the registers and the
// stack exactly as the kernel left them (only AX, CX, DX, SI, DI, R10,
// R11 and R12 are used, none of which the runtime's entry reads).
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0-0
	// rt_sigprocmask(SIG_BLOCK, NULL, &startMask, 8)
	MOVQ	$0, DI
	MOVQ	$0, SI
	LEAQ	·startMask(SB), DX
	MOVQ	$8, R10
	MOVQ	$14, AX
	SYSCALL

	// for sig := 1; sig <= 64; sig++: rt_sigaction(sig, NULL, &sigScratch, 8),
	// and a handler of SIG_IGN (1) sets bit sig-1 of startIgnored.
	MOVQ	$1, R12
sigloop:
	MOVQ	R12, DI
	MOVQ	$0, SI
	LEAQ	·sigScratch(SB), DX
	MOVQ	$8, R10
	MOVQ	$13, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	signext
	MOVQ	·sigScratch(SB), AX
	CMPQ	AX, $1
	JNE	signext
	MOVQ	R12, CX
	DECQ	CX
	MOVQ	$1, AX
	SHLQ	CX, AX
	ORQ	AX, ·startIgnored(SB)
signext:
	INCQ	R12
	CMPQ	R12, $65
	JNE	sigloop

	// for fd := 0; fd < 3; fd++: fcntl(fd, F_GETFD) failing sets bit fd
	// of startClosed.
	MOVQ	$0, R12
fdloop:
	MOVQ	R12, DI
	MOVQ	$1, SI
	MOVQ	$72, AX
	SYSCALL
	CMPQ	AX, $0
	JGE	fdnext
	MOVQ	$1, AX
	MOVQ	R12, CX
	SHLQ	CX, AX
	ORQ	AX, ·startClosed(SB)
fdnext:
	INCQ	R12
	CMPQ	R12, $3
	JNE	fdloop

	MOVQ	$1, ·startCaptured(SB)
	JMP	_rt0_amd64_linux(SB)
