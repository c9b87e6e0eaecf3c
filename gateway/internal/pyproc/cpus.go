package pyproc

import "runtime"

// CPUs is how many CPUs the server and its workers may use: the CPUs
// the process may run on (runtime.NumCPU, which follows taskset and
// cpusets), bounded by a cgroup CPU quota rounded up. A container
// limited to one CPU's worth of time on a 64-CPU host gets one worker by
// default, as gunicorn's and uvicorn's users there expect, not 64 Python
// processes sharing one CPU's time; Go's runtime bounds GOMAXPROCS the
// same way.
func CPUs() int {
	n := runtime.NumCPU()
	if q := quotaCPUs("/"); q > 0 && q < n {
		return q
	}
	return n
}
