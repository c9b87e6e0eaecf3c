//go:build !linux

package proxy

import (
	"errors"

	"github.com/brick-server/brick/web"
)

var errNoWatch = errors.New("proxy: upstream cannot be watched")

// startWatched: only Linux's epoll watches upstream connections here;
// tunnels elsewhere are relayed by goroutines.
func startWatched(web.WatchedConn, *conn, func()) error { return errNoWatch }
