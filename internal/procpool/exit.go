package procpool

import (
	"fmt"
	"os"
	"syscall"
)

// waitStatus is what os.ProcessState.Sys returns on Unix and Windows
// (syscall.WaitStatus), named by its methods so this file builds
// everywhere.
type waitStatus interface {
	Signaled() bool
	Signal() syscall.Signal
	CoreDump() bool
}

// faults are the signals a process normally gets from its own bug rather
// than from someone who wanted it gone. Exit spells them out, because
// "segmentation fault" tells a reader at once that the child crashed.
var faults = map[syscall.Signal]bool{
	syscall.SIGSEGV: true,
	syscall.SIGBUS:  true,
	syscall.SIGILL:  true,
	syscall.SIGFPE:  true,
	syscall.SIGABRT: true,
	syscall.SIGTRAP: true,
}

// describeExit turns an exit state into text for a log line.
func describeExit(st *os.ProcessState, waitErr error) string {
	if st == nil {
		if waitErr != nil {
			return "unknown (" + waitErr.Error() + ")"
		}
		return "unknown"
	}
	ws, ok := st.Sys().(waitStatus)
	if !ok || !ws.Signaled() {
		if st.Exited() {
			return fmt.Sprintf("exit status %d", st.ExitCode())
		}
		return st.String()
	}
	sig := ws.Signal()
	name := signalName(sig)
	var s string
	switch {
	case name != "" && faults[sig]:
		s = fmt.Sprintf("killed by signal %d (%s: %s)", int(sig), name, sig)
	case name != "":
		s = fmt.Sprintf("killed by signal %d (%s)", int(sig), name)
	default:
		s = fmt.Sprintf("killed by signal %d (%s)", int(sig), sig)
	}
	if ws.CoreDump() {
		s += ", core dumped"
	}
	return s
}
