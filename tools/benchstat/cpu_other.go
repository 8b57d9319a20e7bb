//go:build !unix

package benchstat

import "time"

// ProcessCPU is the CPU time this process has used so far; ok is false where the system
// cannot tell, as here.
func ProcessCPU() (d time.Duration, ok bool) { return 0, false }
