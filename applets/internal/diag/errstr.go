// Package diag turns errors into the daemontools message format.
//
// daemontools never prints strerror(3): it prints its own short texts
// ("file does not exist", "temporary failure", ...). Every applet and
// engine in this project reports system errors through Text so that
// scripts and monitoring that match on those texts keep working.
package diag

import (
	"errors"
	"syscall"
)

// errText holds the daemontools wording for each errno Linux defines,
// indexed by errno: an array literal is laid out by the linker, so it
// costs nothing at start-up (a map would be built by every applet's
// init). Errnos that share a number (EAGAIN/EWOULDBLOCK,
// EDEADLK/EDEADLOCK, EOPNOTSUPP/ENOTSUP) take the text the reference
// checks first.
var errText = [...]string{
	0:                       "no error",
	syscall.EINTR:           "interrupted system call",
	syscall.ENOMEM:          "out of memory",
	syscall.ENOENT:          "file does not exist",
	syscall.ETXTBSY:         "text busy",
	syscall.EIO:             "input/output error",
	syscall.EEXIST:          "file already exists",
	syscall.ETIMEDOUT:       "timed out",
	syscall.EINPROGRESS:     "operation in progress",
	syscall.EAGAIN:          "temporary failure",
	syscall.EPIPE:           "broken pipe",
	syscall.EPERM:           "permission denied",
	syscall.EACCES:          "access denied",
	syscall.ENXIO:           "device not configured",
	syscall.EPROTO:          "protocol error",
	syscall.EISDIR:          "is a directory",
	syscall.ECONNREFUSED:    "connection refused",
	syscall.ENOTDIR:         "not a directory",
	syscall.ESRCH:           "no such process",
	syscall.E2BIG:           "argument list too long",
	syscall.ENOEXEC:         "exec format error",
	syscall.EBADF:           "file descriptor not open",
	syscall.ECHILD:          "no child processes",
	syscall.EDEADLK:         "operation would cause deadlock",
	syscall.EFAULT:          "bad address",
	syscall.ENOTBLK:         "not a block device",
	syscall.EBUSY:           "device busy",
	syscall.EXDEV:           "cross-device link",
	syscall.ENODEV:          "device does not support operation",
	syscall.EINVAL:          "invalid argument",
	syscall.ENFILE:          "system cannot open more files",
	syscall.EMFILE:          "process cannot open more files",
	syscall.ENOTTY:          "not a tty",
	syscall.EFBIG:           "file too big",
	syscall.ENOSPC:          "out of disk space",
	syscall.ESPIPE:          "unseekable descriptor",
	syscall.EROFS:           "read-only file system",
	syscall.EMLINK:          "too many links",
	syscall.EDOM:            "input out of range",
	syscall.ERANGE:          "output out of range",
	syscall.EALREADY:        "operation already in progress",
	syscall.ENOTSOCK:        "not a socket",
	syscall.EDESTADDRREQ:    "destination address required",
	syscall.EMSGSIZE:        "message too long",
	syscall.EPROTOTYPE:      "incorrect protocol type",
	syscall.ENOPROTOOPT:     "protocol not available",
	syscall.EPROTONOSUPPORT: "protocol not supported",
	syscall.ESOCKTNOSUPPORT: "socket type not supported",
	syscall.EOPNOTSUPP:      "operation not supported",
	syscall.EPFNOSUPPORT:    "protocol family not supported",
	syscall.EAFNOSUPPORT:    "address family not supported",
	syscall.EADDRINUSE:      "address already used",
	syscall.EADDRNOTAVAIL:   "address not available",
	syscall.ENETDOWN:        "network down",
	syscall.ENETUNREACH:     "network unreachable",
	syscall.ENETRESET:       "network reset",
	syscall.ECONNABORTED:    "connection aborted",
	syscall.ECONNRESET:      "connection reset",
	syscall.ENOBUFS:         "out of buffer space",
	syscall.EISCONN:         "already connected",
	syscall.ENOTCONN:        "not connected",
	syscall.ESHUTDOWN:       "socket shut down",
	syscall.ETOOMANYREFS:    "too many references",
	syscall.ELOOP:           "symbolic link loop",
	syscall.ENAMETOOLONG:    "file name too long",
	syscall.EHOSTDOWN:       "host down",
	syscall.EHOSTUNREACH:    "host unreachable",
	syscall.ENOTEMPTY:       "directory not empty",
	syscall.EUSERS:          "too many users",
	syscall.EDQUOT:          "disk quota exceeded",
	syscall.ESTALE:          "stale NFS file handle",
	syscall.EREMOTE:         "too many levels of remote in path",
	syscall.ENOLCK:          "no locks available",
	syscall.ENOSYS:          "system call not available",
	syscall.ENOSTR:          "not a stream device",
	syscall.ETIME:           "timer expired",
	syscall.ENOSR:           "out of stream resources",
	syscall.ENOMSG:          "no message of desired type",
	syscall.EBADMSG:         "bad message type",
	syscall.EIDRM:           "identifier removed",
	syscall.ENONET:          "machine not on network",
	syscall.ENOLINK:         "link severed",
	syscall.EADV:            "advertise error",
	syscall.ESRMNT:          "srmount error",
	syscall.ECOMM:           "communication error",
	syscall.EMULTIHOP:       "multihop attempted",
	syscall.EREMCHG:         "remote address changed",
}

// ErrPartialWrite is what daemontools reports when write(2) succeeded
// but wrote fewer bytes than asked.
var ErrPartialWrite = errors.New("partial write")

// ErrnoText returns the daemontools text for one errno.
func ErrnoText(e syscall.Errno) string {
	if int(e) < len(errText) && errText[e] != "" {
		return errText[e]
	}
	return "unknown error"
}

// Text returns the daemontools text for err. Errors that wrap an errno
// (*os.PathError, *os.SyscallError, ...) are reduced to it; other errors
// keep their own message, which callers only create on purpose (for
// example ErrPartialWrite).
func Text(err error) string {
	if err == nil {
		return ErrnoText(0)
	}
	var e syscall.Errno
	if errors.As(err, &e) {
		return ErrnoText(e)
	}
	return err.Error()
}
