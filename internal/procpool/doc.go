// Package procpool starts and supervises child processes at the OS level.
// It knows nothing of HTTP or WSGI: the gateways build on it to run their
// worker processes.
//
// # Lifecycle
//
// Start runs a child described by a Spec. From then on a goroutine owned by
// the Process waits for the child, so every child that exits is reaped at
// once, even if nobody ever looks at it: a server that runs workers for
// weeks must not collect zombies. Done is closed when the child has been
// reaped and everything it wrote has been handed to Spec.Output; Exit then
// says in words how it ended ("exit status 3", "killed by signal 9
// (SIGKILL)").
//
// # Process groups
//
// Each child leads a process group of its own. A Ctrl-C on the terminal
// goes to the terminal's foreground group, so it reaches the Go server
// alone, and the server stops its children in order instead of all of
// them dying at once mid-request. Kill signals the whole group, so a
// worker's own children (a subprocess it started, a multiprocessing pool)
// die with it. When the child exits on its own, whatever is left of its
// group is killed too: those processes are orphans of a dead worker that
// nobody else would stop, and they may hold its output pipes open.
//
// On Linux each child also gets a parent-death signal of SIGKILL, so a
// child never outlives a server that crashed or was killed without the
// chance to stop it.
//
// # Short-lived children
//
// StartChild and Child are the process mechanics under Process without
// its supervision: a process group of its own, the parent-death signal, a
// Kill that reaches the group and never a stranger that reused the pid.
// They serve a caller that runs one child per request and owns its pipes
// and its wait, such as the CGI gateway.
//
// # Output
//
// The child's stdout and stderr are pipes read line by line and handed to
// Spec.Output; stdin is /dev/null. WaitQuiet waits until the child has
// been silent for a while, which is how a caller that asked a Python
// worker for a stack dump (SIGUSR1 to faulthandler) knows the dump has
// arrived before it kills the worker.
//
// # Restarts
//
// The package does not restart anything itself; the caller owns its
// slots. Backoff computes the delay before restarting a slot whose
// process keeps dying.
package procpool
