//go:build !unix

package netconn

import "syscall"

// wrapped: on this system (Windows) Wrap leaves connections as they are, and read and write
// are never called.
const wrapped = false

func read(uintptr, []byte) (int, syscall.Errno)  { return 0, syscall.EINVAL }
func write(uintptr, []byte) (int, syscall.Errno) { return 0, syscall.EINVAL }
func peek(uintptr) syscall.Errno                 { return syscall.EINVAL }
