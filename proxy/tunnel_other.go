//go:build !linux

package proxy

import (
	"errors"
	"io"

	"github.com/brick-server/brick/web"
)

var errNoWatch = errors.New("proxy: upstream cannot be watched")

// watchedTunnel: only Linux's epoll watches upstream connections here;
// tunnels elsewhere are relayed by goroutines.
type watchedTunnel struct {
	done           func()
	toClient, toUp io.Writer
}

func newWatched(web.WatchedConn, *conn) (*watchedTunnel, error) { return nil, errNoWatch }

func (t *watchedTunnel) greet(head, rest []byte) error { return errNoWatch }
func (t *watchedTunnel) start()                        {}
func (t *watchedTunnel) close()                        {}
