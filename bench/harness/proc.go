package main

import (
	"context"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// started tracks every process the harness started, so an interrupted run
// leaves nothing behind.
var (
	startedMu sync.Mutex
	started   = map[*exec.Cmd]bool{}
)

// launch starts cmd in its own process group and returns a channel closed
// when it exits.
func launch(cmd *exec.Cmd) (<-chan struct{}, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	startedMu.Lock()
	started[cmd] = true
	startedMu.Unlock()
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	return done, nil
}

// stop ends cmd's whole process group: SIGTERM, then SIGKILL after a grace.
// Descendants that left the group (a server may start its workers in
// groups of their own) are killed too.
func stop(cmd *exec.Cmd, done <-chan struct{}) {
	if cmd.Process == nil {
		return
	}
	descendants := tree(cmd.Process.Pid)[1:]
	starts := make([]string, len(descendants))
	for i, p := range descendants {
		starts[i] = startTime(p)
	}
	syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
	for i, p := range descendants {
		// The start time tells a leftover from a new process that
		// reused the pid.
		if starts[i] != "" && startTime(p) == starts[i] {
			syscall.Kill(p, syscall.SIGKILL)
		}
	}
	startedMu.Lock()
	delete(started, cmd)
	startedMu.Unlock()
}

func killAll() {
	startedMu.Lock()
	defer startedMu.Unlock()
	for cmd := range started {
		if cmd.Process != nil {
			// Descendants first: once the parent is gone, its children
			// no longer show as its tree.
			for _, p := range tree(cmd.Process.Pid)[1:] {
				syscall.Kill(p, syscall.SIGKILL)
			}
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// tree returns pid and all its descendants (nginx's master and worker; the
// sh that set the limit has exec'd into the server, so pid is the server).
func tree(pid int) []int {
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		fields := statFields(string(b))
		if len(fields) < 2 {
			continue
		}
		p, _ := strconv.Atoi(fields[0])
		pp, _ := strconv.Atoi(fields[1])
		children[pp] = append(children[pp], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// statFields returns pid, ppid, then the fields after the state of a
// /proc/PID/stat line (the command name may contain spaces).
func statFields(s string) []string {
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < 0 {
		return nil
	}
	rest := strings.Fields(s[end+1:])
	if len(rest) < 2 {
		return nil
	}
	// rest[0] is the state, rest[1] the ppid.
	return append([]string{strings.TrimSpace(s[:open]), rest[1]}, rest[2:]...)
}

// cpuTicks returns the user+system time of pid's process tree, in clock
// ticks (1/100 s on Linux).
func cpuTicks(pid int) int64 {
	var total int64
	for _, p := range tree(pid) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/stat")
		if err != nil {
			continue
		}
		f := statFields(string(b))
		// After pid, ppid: pgrp session tty_nr tpgid flags minflt cminflt
		// majflt cmajflt utime stime -> utime is f[11], stime f[12].
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		total += u + s
	}
	return total
}

const ticksPerSecond = 100

// startTime returns pid's start time from /proc/PID/stat, or "" when pid
// does not exist.
func startTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// starttime is field 22: f[19] after pid, ppid (see cpuTicks).
	if f := statFields(string(b)); len(f) > 19 {
		return f[19]
	}
	return ""
}

// rssKiB returns the resident set size of pid's process tree.
func rssKiB(pid int) int64 {
	var total int64
	for _, p := range tree(pid) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(p) + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					n, _ := strconv.ParseInt(f[1], 10, 64)
					total += n
				}
			}
		}
	}
	return total
}
