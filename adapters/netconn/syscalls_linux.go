//go:build linux && !race

package netconn

import (
	"syscall"
	"unsafe"
)

// wrapped: Wrap makes Conns on this system.
const wrapped = true

// read is read(2) on fd into b (not empty), made without entering the scheduler's syscall
// state (see the package comment).
func read(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}

// write is write(2) of b (not empty) on fd, made the same way.
func write(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}

// peek looks at fd's next byte without reading it or waiting: EAGAIN when there is none.
func peek(fd uintptr) syscall.Errno {
	var b [1]byte
	_, _, e := syscall.RawSyscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
		syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
	return e
}
