// Package listenfd receives listening sockets from the process that
// started Brick, and hands Brick's own to a successor.
//
// Two protocols are understood. systemd's socket activation sets
// LISTEN_PID to our pid and LISTEN_FDS to the number of sockets, which
// start at file descriptor 3, with optional names in LISTEN_FDNAMES
// (sd_listen_fds(3)). A Brick binary upgrade (SIGUSR2, as nginx does it)
// uses the same layout with BRICK_LISTEN_FDS and BRICK_LISTEN_NAMES,
// because the old process cannot know its successor's pid before it
// starts, and adds BRICK_READY_FD: a pipe the successor writes one byte to
// once it serves, so the old process knows it may drain and leave.
//
// Passing the socket itself, rather than closing and reopening the port,
// means no connection is refused during the switch: connections waiting
// in the accept queue belong to the socket, which both processes hold.
package listenfd
