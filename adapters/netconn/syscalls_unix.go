//go:build unix && (race || !linux)

package netconn

import (
	"errors"
	"syscall"
)

// wrapped: Wrap makes Conns on this system.
const wrapped = true

// read is syscall.Read, under the race detector (see the package comment) and on the
// systems other than Linux, where the raw calls are not worth their risk (Linux is where the
// services run).
func read(fd uintptr, b []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), b)
	return max(n, 0), errno(err)
}

// write is syscall.Write, as read is syscall.Read.
func write(fd uintptr, b []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), b)
	return max(n, 0), errno(err)
}

// peek is syscall.Recvfrom with MSG_PEEK, as read is syscall.Read.
func peek(fd uintptr) syscall.Errno {
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return errno(err)
}

func errno(err error) syscall.Errno {
	var e syscall.Errno
	if err != nil && !errors.As(err, &e) {
		return syscall.EIO
	}
	return e
}
