package pyproc

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"unsafe"
)

// ShareOneCPU puts the server's own threads under SCHED_BATCH when the
// workers run under it (Settings.Scheduling "batch", the default) and
// the server may run on one CPU only (taskset, a cpuset of one CPU, a
// one-CPU machine), and does nothing otherwise: with "normal", the
// server keeps the policy it was started with. A pool calls it once it
// has started and release when it closes: the threads go back to the
// policy they had once no pool that asked for batch is left, so a reload
// to "normal" gives the server its policy back.
//
// On one CPU the front and the workers always share it, and every
// wake-up of the front (a client's request arriving while a worker runs)
// preempts the worker in the middle of its request: the front runs a few
// microseconds, the worker resumes with its caches cold, and the worker's
// answers go out one by one instead of in a batch. With the workers under
// SCHED_BATCH the other way round is already avoided; with the front
// under it too, a woken front waits for the worker's run to end (at most
// the scheduler's slice, a few milliseconds) and then handles everything
// that arrived meanwhile. Measured with Flask on one worker: +13% requests
// per CPU-second. With more CPUs a woken thread usually finds an idle one,
// and the front keeps its default policy, which serves a request that
// needs no worker (a static file) at once on a busy machine.
func ShareOneCPU(policy string) (release func(), err error) {
	if policy != SchedBatch || runtime.NumCPU() != 1 {
		return func() {}, nil
	}
	front.mu.Lock()
	defer front.mu.Unlock()
	if front.pools == 0 {
		front.saved, front.prio, err = getScheduler(0)
		if err != nil {
			return func() {}, err
		}
		if err := setThreads(schedBatch, 0); err != nil {
			// Some threads may be batch already: the release puts them back.
			front.pools++
			return releaseFront(), err
		}
	}
	front.pools++
	return releaseFront(), nil
}

// front counts the pools that hold the server's threads under batch, and
// the policy (and static priority) they had before the first.
var front struct {
	mu          sync.Mutex
	pools       int
	saved, prio int
}

// releaseFront returns a pool's release, which runs once.
func releaseFront() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			front.mu.Lock()
			defer front.mu.Unlock()
			if front.pools--; front.pools == 0 {
				setThreads(front.saved, front.prio)
			}
		})
	}
}

// setThreads sets the policy of every thread of the process. Threads
// started later inherit the policy of the thread that starts them, so
// passes over the threads that exist, until one finds no thread the one
// before did not, leave none behind.
func setThreads(policy, prio int) error {
	done := map[int]bool{}
	for {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := false
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || done[tid] {
				continue
			}
			fresh = true
			done[tid] = true
			if err := setScheduler(tid, policy, prio); err != nil && err != syscall.ESRCH {
				return err
			}
		}
		if !fresh {
			return nil
		}
	}
}

// schedBatch is Linux's SCHED_BATCH (sched.h).
const schedBatch = 3

// setScheduler sets thread tid's policy and static priority (0 for
// SCHED_OTHER and SCHED_BATCH).
func setScheduler(tid, policy, prio int) error {
	param := struct{ priority int32 }{int32(prio)}
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), uintptr(policy), uintptr(unsafe.Pointer(&param)))
	if e != 0 {
		return e
	}
	return nil
}

// getScheduler returns thread tid's policy and static priority (0: the
// calling thread).
func getScheduler(tid int) (policy, prio int, err error) {
	r, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
	if e != 0 {
		return 0, 0, e
	}
	var param struct{ priority int32 }
	if _, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETPARAM, uintptr(tid), uintptr(unsafe.Pointer(&param)), 0); e != 0 {
		return 0, 0, e
	}
	// SCHED_RESET_ON_FORK is ORed into the policy read back.
	return int(r) &^ 0x40000000, int(param.priority), nil
}
