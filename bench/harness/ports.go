package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// freePort returns a loopback port nothing listens on.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// heldBy checks that every socket listening on TCP port belongs to pid's
// process tree, so that what answers there is the server the harness
// started: between freePort and the server's bind, another process may
// have taken the port, alone or beside the server (SO_REUSEPORT lets
// several sockets share a port, and the kernel spreads connections over
// them).
func heldBy(port, pid int) error {
	inodes, err := listeningInodes(port)
	if err != nil {
		return err
	}
	if len(inodes) == 0 {
		return fmt.Errorf("nothing listens on port %d", port)
	}
	owned := map[string]bool{}
	for _, p := range tree(pid) {
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", p))
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil {
				owned[target] = true
			}
		}
	}
	for _, inode := range inodes {
		if !owned["socket:["+inode+"]"] {
			return fmt.Errorf("another process listens on port %d beside the server (pid %d); stop it or run again", port, pid)
		}
	}
	return nil
}

// listeningInodes returns the inodes of the TCP sockets (IPv4 and IPv6)
// listening on port, from /proc/net/tcp{,6}.
func listeningInodes(port int) ([]string, error) {
	const listen = "0A" // TCP_LISTEN in /proc/net/tcp's st column
	var inodes []string
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if os.IsNotExist(err) && file == "/proc/net/tcp6" {
			continue // no IPv6 in this kernel
		}
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the column names
		for sc.Scan() {
			// sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != listen {
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				inodes = append(inodes, fields[9])
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
	}
	return inodes, nil
}
