#include "go_asm.h"
#include "textflag.h"

// entry is the executable's ELF entry point when it is linked with
// -ldflags=-E=github.com/daemontools-go/daemontools/privs.entry (the
// Makefile and the test harness do so). Started as the open-files
// trampoline (nofile.go), it sets the limit and execs the program
// without ever starting the Go runtime. Otherwise, before the Go
// runtime starts and changes them, it records what the process
// inherited: the open-files limit, the signal mask, which signals are
// ignored, and which of fds 0-2 are closed. Then it jumps to the
// runtime's own entry point with the registers and the stack exactly as
// the kernel left them (only AX, CX, DX, SI, DI, R8, R10, R11, R12 and
// R13 are used, none of which the runtime's entry reads, and the stack
// only below argc, for classOf's return address). Last, it maps
// in the pages the runtime is about to fault in one by one
// (populate.go), and sets how much of the heap the prefault package
// maps in once the runtime is up (heapWindow).
TEXT ·entry(SB),NOSPLIT|NOFRAME,$0-0
	// Started as the open-files trampoline (nofile.go)? argc >= 6 and
	// argv[0] is trampolineName.
	MOVQ	0(SP), R12
	CMPQ	R12, $6
	JLT	record
	MOVQ	8(SP), SI
	LEAQ	·trampolineName(SB), DI
	MOVBLZX	(DI), CX
	TESTL	CX, CX
	JEQ	record
name:
	MOVBLZX	(SI), AX
	MOVBLZX	(DI), CX
	CMPL	AX, CX
	JNE	record
	TESTL	AX, AX
	JEQ	trampoline
	INCQ	SI
	INCQ	DI
	JMP	name

trampoline:
	// trampLimit[0], trampLimit[1], R13 = argv[1], argv[2], argv[3] as
	// decimal numbers (the digits up to the first other byte).
	MOVQ	16(SP), SI
	XORQ	R8, R8
cur:
	MOVBQZX	(SI), AX
	SUBQ	$48, AX
	CMPQ	AX, $9
	JHI	curdone
	LEAQ	(R8)(R8*4), R8
	LEAQ	(AX)(R8*2), R8
	INCQ	SI
	JMP	cur
curdone:
	MOVQ	R8, ·trampLimit(SB)
	MOVQ	24(SP), SI
	XORQ	R8, R8
max:
	MOVBQZX	(SI), AX
	SUBQ	$48, AX
	CMPQ	AX, $9
	JHI	maxdone
	LEAQ	(R8)(R8*4), R8
	LEAQ	(AX)(R8*2), R8
	INCQ	SI
	JMP	max
maxdone:
	MOVQ	R8, ·trampLimit+8(SB)
	MOVQ	32(SP), SI
	XORQ	R13, R13
fd:
	MOVBQZX	(SI), AX
	SUBQ	$48, AX
	CMPQ	AX, $9
	JHI	fddone
	LEAQ	(R13)(R13*4), R13
	LEAQ	(AX)(R13*2), R13
	INCQ	SI
	JMP	fd
fddone:
	// prlimit64(0, RLIMIT_NOFILE, &trampLimit, NULL)
	MOVQ	$0, DI
	MOVQ	$7, SI
	LEAQ	·trampLimit(SB), DX
	MOVQ	$0, R10
	MOVQ	$302, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	failed
	// fcntl(fd, F_SETFD, FD_CLOEXEC)
	MOVQ	R13, DI
	MOVQ	$2, SI
	MOVQ	$1, DX
	MOVQ	$72, AX
	SYSCALL
	// execve(argv[4], &argv[5], envp), envp being &argv[argc+1]
	MOVQ	40(SP), DI
	LEAQ	48(SP), SI
	LEAQ	16(SP)(R12*8), DX
	MOVQ	$59, AX
	SYSCALL
failed:
	// write(fd, &trampErrno, 4) with the errno, then exit_group(127)
	NEGQ	AX
	MOVL	AX, ·trampErrno(SB)
	MOVQ	R13, DI
	LEAQ	·trampErrno(SB), SI
	MOVQ	$4, DX
	MOVQ	$1, AX
	SYSCALL
	MOVQ	$127, DI
	MOVQ	$231, AX
	SYSCALL

record:
	// prlimit64(0, RLIMIT_NOFILE, NULL, &startNofile): the open-files
	// limit before the runtime raises it.
	MOVQ	$0, DI
	MOVQ	$7, SI
	MOVQ	$0, DX
	LEAQ	·startNofile(SB), R10
	MOVQ	$302, AX
	SYSCALL

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

	// What to map in before the runtime starts (populate.go): R12 is
	// the class of the applet argv names, found in populateClasses:
	// argv[0]'s base name, or argv[1]'s after "daemontools".
	MOVQ	$0, R12
	MOVQ	0(SP), AX
	TESTQ	AX, AX
	JEQ	populate
	MOVQ	8(SP), DI
	CALL	·classOf(SB)
	CMPQ	R10, $const_populateArgv1
	JNE	classed
	CMPQ	0(SP), $2
	JLT	populate
	MOVQ	16(SP), DI
	CALL	·classOf(SB)
	CMPQ	R10, $const_populateArgv1
	JEQ	populate
classed:
	MOVQ	R10, R12
	CMPQ	R12, $const_populateWait
	JNE	loader
	MOVQ	$const_populateData, R12
	JMP	populate
loader:
	// A chain loader is mapped in as a short-lived applet unless a
	// word of its command line (R13 counts them) names a program that
	// may stay in this process: a long-lived applet, setlock or
	// fghack.
	CMPQ	R12, $const_populateData
	JNE	populate
	MOVQ	$1, R13
words:
	CMPQ	R13, 0(SP)
	JGE	short
	MOVQ	8(SP)(R13*8), DI
	CALL	·classOf(SB)
	CMPQ	R10, $const_populateText
	JEQ	populate
	CMPQ	R10, $const_populateWait
	JEQ	populate
	INCQ	R13
	JMP	words
short:
	MOVQ	$0, R12

populate:
	// madvise(text, etext-text, MADV_POPULATE_READ)
	LEAQ	runtime·text(SB), DI
	ANDQ	$~4095, DI
	LEAQ	runtime·etext(SB), SI
	SUBQ	DI, SI
	MOVQ	$22, DX
	MOVQ	$28, AX
	SYSCALL
	CMPQ	R12, $const_populateText
	JEQ	done
	// heapWindow: how much heap prefault maps in (populate.go)
	MOVQ	$const_heapWindowShort, AX
	CMPQ	R12, $const_populateData
	JNE	window
	MOVQ	$const_heapWindowLoader, AX
window:
	MOVQ	AX, ·heapWindow(SB)
	// madvise(noptrdata, edata-noptrdata, MADV_POPULATE_WRITE), or up
	// to the end of the bss
	LEAQ	runtime·noptrdata(SB), DI
	ANDQ	$~4095, DI
	LEAQ	runtime·end(SB), SI
	CMPQ	R12, $const_populateData
	JNE	write
	LEAQ	runtime·edata(SB), SI
write:
	SUBQ	DI, SI
	MOVQ	$23, DX
	MOVQ	$28, AX
	SYSCALL

done:
	MOVQ	$1, ·startCaptured(SB)
	JMP	_rt0_amd64_linux(SB)

// classOf sets R10 to the class of the base name of the NUL-terminated
// path at DI in populateClasses, 0 when it is not there. It uses AX, CX,
// SI, DI, R8 and R11, and only the return address's slot of the stack,
// below the kernel's argc: entry calls it before the runtime starts.
TEXT ·classOf(SB),NOSPLIT|NOFRAME,$0-0
	MOVQ	DI, SI
base:
	MOVBLZX	(SI), AX
	INCQ	SI
	TESTL	AX, AX
	JEQ	lookup
	CMPL	AX, $47 // '/'
	JNE	base
	MOVQ	SI, DI
	JMP	base
lookup:
	LEAQ	·populateClasses(SB), R8
entryclass:
	MOVBLZX	(R8), R10
	TESTL	R10, R10
	JEQ	found
	LEAQ	1(R8), SI
	MOVQ	DI, R11
cmp:
	MOVBLZX	(SI), AX
	MOVBLZX	(R11), CX
	CMPL	AX, CX
	JNE	skip
	TESTL	AX, AX
	JEQ	found
	INCQ	SI
	INCQ	R11
	JMP	cmp
skip:
	MOVBLZX	(SI), AX
	INCQ	SI
	TESTL	AX, AX
	JNE	skip
	MOVQ	SI, R8
	JMP	entryclass
found:
	RET
