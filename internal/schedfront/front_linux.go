// Package schedfront holds the server's own threads under a scheduling
// policy for as long as someone needs it, and gives them back the one
// they had: the Python gateways put Brick under SCHED_BATCH beside their
// workers on one CPU (gateway/internal/pyproc.ShareOneCPU), and a binary
// upgrade starts the new process with the policy Brick was started with,
// not the one held.
package schedfront

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"unsafe"
)

// Batch is Linux's SCHED_BATCH (sched.h).
const Batch = 3

// front counts the holders of the threads' policy, and the policy (and
// static priority) the threads had before the first.
var front struct {
	mu          sync.Mutex
	holders     int
	held        int
	saved, prio int
}

// Hold puts every thread of the process under policy (with static
// priority 0), until release has been called once for every Hold. The
// threads then get back the policy they had before the first Hold. A Hold
// while another holds keeps the policy held first.
func Hold(policy int) (release func(), err error) {
	front.mu.Lock()
	defer front.mu.Unlock()
	if front.holders == 0 {
		front.saved, front.prio, err = getScheduler(0)
		if err != nil {
			return func() {}, err
		}
		front.held = policy
		// On an error some threads may be under policy already: the
		// release puts them back.
		err = setThreads(policy, 0)
	}
	front.holders++
	var once sync.Once
	return func() {
		once.Do(func() {
			front.mu.Lock()
			defer front.mu.Unlock()
			if front.holders--; front.holders == 0 {
				setThreads(front.saved, front.prio)
			}
		})
	}, err
}

// Unheld runs fn on a thread under the policy the threads had before
// the first Hold, for fn to start a process: a child inherits the policy
// of the thread that forks it.
func Unheld(fn func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	front.mu.Lock()
	held, saved, prio := front.holders > 0, front.saved, front.prio
	policy := front.held
	front.mu.Unlock()
	if held && setScheduler(0, saved, prio) == nil {
		defer setScheduler(0, policy, 0)
	}
	fn()
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

// setScheduler sets thread tid's policy and static priority (0 for
// SCHED_OTHER and SCHED_BATCH; tid 0: the calling thread).
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
