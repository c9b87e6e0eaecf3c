package proxy

import (
	"context"
	"time"

	"github.com/brick-server/brick/wire"
)

// checkLoop asks u for the health URI every interval until Close, taking
// it out while the answers are wrong and back once they are right.
func (h *Handler) checkLoop(u *upstream) {
	defer h.wg.Done()
	t := time.NewTicker(h.cfg.HealthInterval)
	defer t.Stop()
	for {
		ok, why := h.check(u)
		u.checked.Store(&checkResult{at: time.Now(), err: why})
		if was := u.healthy.Swap(ok); was != ok {
			if ok {
				h.log.Info("proxy: upstream healthy again", "upstream", u.url)
			} else {
				h.log.Warn("proxy: upstream failed its health check, taken out", "upstream", u.url, "reason", why)
			}
		}
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
	}
}

// check makes one health request over a connection of its own, so that
// it tests what a new request would meet: the name resolved again, a
// fresh connection.
func (h *Handler) check(u *upstream) (bool, string) {
	timeout := min(h.cfg.HealthInterval, h.cfg.Timeout, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	go func() {
		select {
		case <-h.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	nc, _, err := h.dial(ctx, u)
	if err != nil {
		return false, err.Error()
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(timeout))
	req := "GET " + h.cfg.HealthURI + " HTTP/1.1\r\nHost: " + u.addr + "\r\nUser-Agent: brick-health-check\r\nConnection: close\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return false, err.Error()
	}
	c := &conn{nc: nc, up: u, buf: make([]byte, 4<<10)}
	if _, err := c.readHead(timeout); err != nil {
		return false, err.Error()
	}
	if !h.healthOK(c.resp.Status) {
		return false, "status " + wire.StatusText(c.resp.Status) + " (" + itoa(c.resp.Status) + ")"
	}
	return true, ""
}

func itoa(n int) string {
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
