//go:build !linux

package pyproc

// ShareOneCPU does nothing where the scheduling policies of Linux do not
// exist (see onecpu_linux.go).
func ShareOneCPU(policy string) (release func(), err error) { return func() {}, nil }
