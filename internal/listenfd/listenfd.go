package listenfd

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Environment variables of the two protocols.
const (
	envPID       = "LISTEN_PID"
	envFDs       = "LISTEN_FDS"
	envNames     = "LISTEN_FDNAMES"
	envUpFDs     = "BRICK_LISTEN_FDS"
	envUpNames   = "BRICK_LISTEN_NAMES"
	envReadyFD   = "BRICK_READY_FD"
	firstFD      = 3
	maxInherited = 1024
)

// Listener is an inherited listening socket and the name its sender gave
// it: the configured address for a Brick upgrade, the socket unit's
// FileDescriptorName (or "") for systemd.
type Listener struct {
	net.Listener
	Name string
	// Activated marks a socket from systemd: its Name is the unit's
	// FileDescriptorName, never an address, so Brick pairs activated
	// sockets with its addresses by position.
	Activated bool
}

// Inherited returns the listening sockets this process was given, and
// clears the variables so that Brick's own children do not see them. It
// returns nothing when the process was started normally.
func Inherited() ([]Listener, error) {
	activated := os.Getenv(envUpFDs) == ""
	n, names, err := count()
	if err != nil || n == 0 {
		return nil, err
	}
	lns := make([]Listener, 0, n)
	for i := 0; i < n; i++ {
		fd := firstFD + i
		syscall.CloseOnExec(fd)
		f := os.NewFile(uintptr(fd), "inherited-listener-"+strconv.Itoa(fd))
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("listenfd: descriptor %d is not a listening socket: %w", fd, err)
		}
		name := ""
		if i < len(names) {
			name = names[i]
		}
		lns = append(lns, Listener{Listener: ln, Name: name, Activated: activated})
	}
	return lns, nil
}

// init makes the descriptors this process was given close-on-exec before
// anything else runs: Brick starts processes of its own (WSGI workers)
// before it calls Inherited, and they must not hold the listening sockets
// (which would keep a port open after Brick stops) or the upgrade's ready
// pipe. sd_listen_fds(3) does the same.
func init() {
	n, _, err := parse()
	if err != nil {
		return
	}
	for i := 0; i < n; i++ {
		syscall.CloseOnExec(firstFD + i)
	}
	if fd, err := strconv.Atoi(os.Getenv(envReadyFD)); err == nil && fd >= firstFD {
		syscall.CloseOnExec(fd)
	}
}

// count reads and clears the environment of either protocol.
func count() (int, []string, error) {
	defer func() {
		for _, k := range []string{envPID, envFDs, envNames, envUpFDs, envUpNames} {
			os.Unsetenv(k)
		}
	}()
	return parse()
}

// parse reads the environment of either protocol.
func parse() (int, []string, error) {
	if v := os.Getenv(envUpFDs); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxInherited {
			return 0, nil, fmt.Errorf("listenfd: %s=%q is not a count", envUpFDs, v)
		}
		// Addresses hold colons, so Brick's names are comma-separated.
		return n, splitNames(os.Getenv(envUpNames), ","), nil
	}
	v := os.Getenv(envFDs)
	if v == "" {
		return 0, nil, nil
	}
	if pid, err := strconv.Atoi(os.Getenv(envPID)); err != nil || pid != os.Getpid() {
		// The sockets were meant for another process (our parent).
		return 0, nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > maxInherited {
		return 0, nil, fmt.Errorf("listenfd: %s=%q is not a count", envFDs, v)
	}
	return n, splitNames(os.Getenv(envNames), ":"), nil
}

func splitNames(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// Ready tells the process that started this one (in an upgrade) that it
// now serves. It does nothing otherwise.
func Ready() {
	v := os.Getenv(envReadyFD)
	if v == "" {
		return
	}
	os.Unsetenv(envReadyFD)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < firstFD {
		return
	}
	f := os.NewFile(uintptr(fd), "upgrade-ready")
	f.Write([]byte{1})
	f.Close()
}

// executable is the path this process was started from, found when it
// starts: asked later, Linux names the file the process runs, under
// whatever name that file has by then (the old binary moved to
// brick.old, say), not what is at the path now.
var executable, executableErr = os.Executable()

// Upgrade starts the binary at the path this process was started from
// (re-read from disk, so a replaced file is the new version) with the same
// arguments, hands it the listeners under their names, and waits until it
// says it serves. The caller then drains and exits. On any failure the new
// process is killed and the caller keeps serving.
func Upgrade(lns []Listener, timeout time.Duration) (pid int, err error) {
	exe, err := executable, executableErr
	if err != nil {
		return 0, fmt.Errorf("listenfd: cannot find the binary to start: %w", err)
	}
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	names := make([]string, len(lns))
	for i, l := range lns {
		fl, ok := l.Listener.(interface{ File() (*os.File, error) })
		if !ok {
			return 0, fmt.Errorf("listenfd: listener %s cannot be handed over", l.Addr())
		}
		f, err := fl.File()
		if err != nil {
			return 0, fmt.Errorf("listenfd: listener %s: %w", l.Addr(), err)
		}
		files = append(files, f)
		names[i] = l.Name
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	files = append(files, w)

	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = files
	cmd.Env = append(os.Environ(),
		envUpFDs+"="+strconv.Itoa(len(lns)),
		envUpNames+"="+strings.Join(names, ","),
		envReadyFD+"="+strconv.Itoa(firstFD+len(lns)))
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("listenfd: cannot start %s: %w", exe, err)
	}
	w.Close()
	files = files[:len(files)-1]
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ready := make(chan bool, 1)
	go func() {
		var b [1]byte
		n, _ := r.Read(b[:])
		ready <- n == 1
	}()
	select {
	case ok := <-ready:
		if ok {
			return cmd.Process.Pid, nil
		}
		// The pipe closed without a byte: the new process exited or
		// closed it; wait for its exit to report it.
		select {
		case err := <-exited:
			return 0, fmt.Errorf("listenfd: the new process exited before serving: %v", err)
		case <-time.After(timeout):
		}
	case err := <-exited:
		return 0, fmt.Errorf("listenfd: the new process exited before serving: %v", err)
	case <-time.After(timeout):
	}
	cmd.Process.Kill()
	<-exited
	return 0, fmt.Errorf("listenfd: the new process did not serve within %v", timeout)
}
