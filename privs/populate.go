package privs

// What the entry point (start_linux_amd64.s) maps in before the Go
// runtime starts. Under a hypervisor a page fault costs about 16 µs
// here (measured: touching fresh anonymous pages, one at a time), and
// a Go program takes most of its start-up in faults: the runtime's
// first touch of each 64 KiB of text, and of each page of its data and
// bss, one at a time. One madvise(MADV_POPULATE_READ) over the text,
// and one madvise(MADV_POPULATE_WRITE) over the data and bss, map the
// same pages with two system calls. (Kernels before 5.14 refuse both,
// and the process starts as before.)
//
// The text is file-backed and shared, so mapping all of it costs no
// memory; a long-lived applet touches most of it anyway. The data and
// bss are private: populated, each page the process would never have
// written costs a page of memory for its whole life (measured: 164 KiB
// for a multilog, against 916 KiB of its own). So how much is mapped
// depends on the applet that argv names, looked up in populateClasses,
// and for a chain loader on the rest of its command line:
//
//   - populateText (the long-lived applets): the text only;
//   - populateData and populateWait (the chain loaders, which may run a
//     long-lived applet in their process, see runInProcess; setlock and
//     fghack, which may wait as long as a daemon runs): the text and
//     the file-backed data, not the bss, when the loader is setlock or
//     fghack or a word of its command line names one of them or a
//     long-lived applet (`envdir ./env setuidgid log multilog t
//     ./main`); otherwise (`envdir ./env setuidgid www nginx`) the
//     whole chain is short-lived, and is mapped in as one;
//   - anything else (the short-lived clients and filters, the
//     dispatcher's own commands): the text, the data and the bss.
//
// populateArgv1 is the dispatcher: `daemontools NAME ...` is looked up
// by NAME.
const (
	populateText  = 1
	populateData  = 2
	populateArgv1 = 3
	populateWait  = 4
)

// The heap the prefault package maps in once the runtime has started
// (heapWindow): none for a long-lived applet; for a short-lived one and
// a short-lived chain, what svok, svstat, svc and tai64n touch after
// the runtime's own start-up (200 to 900 KiB above the first package's
// allocation, measured with perf's page-fault addresses); for a chain
// that may stay, less, because a multilog at its end keeps every
// populated page it does not use: 256 KiB costs such a multilog 28 KiB
// (Pss_Anon 1036 against 1008 KiB), 512 KiB cost it 150, and the bss
// 150 to 190 more.
const (
	heapWindowShort  = 512 << 10
	heapWindowLoader = 256 << 10
)

// populateClasses is the table the entry point reads: a class byte, a
// NUL-terminated name, and so on, up to a class byte of 0. An array of
// constants, laid out by the linker with no code to run. The entry
// point has the classes from go_asm.h.
var populateClasses = [...]byte{
	populateText, 's', 'v', 's', 'c', 'a', 'n', 0,
	populateText, 's', 'u', 'p', 'e', 'r', 'v', 'i', 's', 'e', 0,
	populateText, 'm', 'u', 'l', 't', 'i', 'l', 'o', 'g', 0,
	populateText, 'r', 'e', 'a', 'd', 'p', 'r', 'o', 'c', 't', 'i', 't', 'l', 'e', 0,
	populateText, 's', 'v', 's', 'c', 'a', 'n', 'b', 'o', 'o', 't', 0,
	populateData, 'e', 'n', 'v', 'd', 'i', 'r', 0,
	populateData, 'e', 'n', 'v', 'u', 'i', 'd', 'g', 'i', 'd', 0,
	populateData, 's', 'e', 't', 'u', 'i', 'd', 'g', 'i', 'd', 0,
	populateData, 's', 'o', 'f', 't', 'l', 'i', 'm', 'i', 't', 0,
	populateWait, 's', 'e', 't', 'l', 'o', 'c', 'k', 0,
	populateData, 'p', 'g', 'r', 'p', 'h', 'a', 'c', 'k', 0,
	populateWait, 'f', 'g', 'h', 'a', 'c', 'k', 0,
	populateArgv1, 'd', 'a', 'e', 'm', 'o', 'n', 't', 'o', 'o', 'l', 's', 0,
	0,
}
