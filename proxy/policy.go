package proxy

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/brick-server/brick/web"
)

// policyKind is how upstreams are picked.
type policyKind uint8

const (
	roundRobin policyKind = iota
	leastConn
	randomTwo
	ipHash
	headerHash
	cookieSticky
)

type policy struct {
	kind policyKind
	name string // the field or cookie name of headerHash and cookieSticky
}

func parsePolicy(s string) (policy, error) {
	switch s {
	case "", "round_robin":
		return policy{kind: roundRobin}, nil
	case "least_conn":
		return policy{kind: leastConn}, nil
	case "random_two":
		return policy{kind: randomTwo}, nil
	case "ip_hash":
		return policy{kind: ipHash}, nil
	}
	if name, ok := strings.CutPrefix(s, "header:"); ok && name != "" && !strings.ContainsAny(name, " :\t\r\n") {
		return policy{kind: headerHash, name: name}, nil
	}
	if name, ok := strings.CutPrefix(s, "cookie:"); ok && name != "" && !strings.ContainsAny(name, " =;,\t\r\n") {
		return policy{kind: cookieSticky, name: name}, nil
	}
	return policy{}, fmt.Errorf(`proxy policy %q is unknown; give round_robin, least_conn, random_two, ip_hash, header:NAME or cookie:NAME`, s)
}

// candidates is the set of upstreams a pick may return: those not tried
// yet for this request, preferring the available ones. When none is
// available every untried one is a candidate, as a last resort better
// than refusing outright.
type candidates struct {
	ups   []*upstream
	tried uint64 // bit i: ups[i] failed this request (first 64 only)
	any   bool   // health ignored: nothing available
	now   int64
}

func (c *candidates) ok(i int) bool {
	if i < 64 && c.tried&(1<<i) != 0 {
		return false
	}
	return c.any || c.ups[i].available(c.now)
}

// pick returns the index of the upstream for r, or -1 when every one was
// tried. sticky is set when the cookie policy wants its cookie sent.
func (h *Handler) pick(r *web.Request, tried uint64) (i int, sticky bool) {
	c := candidates{ups: h.ups, tried: tried, now: time.Now().UnixNano()}
	if i, sticky = h.pickFrom(r, &c); i < 0 {
		c.any = true
		i, sticky = h.pickFrom(r, &c)
	}
	return i, sticky
}

func (h *Handler) pickFrom(r *web.Request, c *candidates) (int, bool) {
	n := len(c.ups)
	switch h.policy.kind {
	case leastConn:
		best := -1
		start := int(h.rr.Add(1) % uint64(n))
		for k := range n {
			i := (start + k) % n
			if c.ok(i) && (best < 0 || c.ups[i].active.Load() < c.ups[best].active.Load()) {
				best = i
			}
		}
		return best, false
	case randomTwo:
		m := 0
		for i := range n {
			if c.ok(i) {
				m++
			}
		}
		if m == 0 {
			return -1, false
		}
		a := rand.IntN(m)
		b := a
		if m > 1 {
			b = (a + 1 + rand.IntN(m-1)) % m
		}
		ia, ib := c.nth(a), c.nth(b)
		if c.ups[ib].active.Load() < c.ups[ia].active.Load() {
			return ib, false
		}
		return ia, false
	case ipHash:
		var key [16]byte
		a := r.RemoteAddr.Addr().Unmap().As16()
		copy(key[:], a[:])
		return c.rendezvous(key[:]), false
	case headerHash:
		if v := r.Header.Get(h.policy.name); len(v) > 0 {
			return c.rendezvous(v), false
		}
	case cookieSticky:
		if v := cookieValue(&r.Header, h.policy.name); v != nil {
			for i, u := range c.ups {
				if u.id == string(v) && c.ok(i) {
					return i, false
				}
			}
		}
		i := h.roundRobin(c)
		return i, i >= 0
	}
	return h.roundRobin(c), false
}

func (h *Handler) roundRobin(c *candidates) int {
	n := len(c.ups)
	start := int(h.rr.Add(1) % uint64(n))
	for k := range n {
		if i := (start + k) % n; c.ok(i) {
			return i
		}
	}
	return -1
}

// nth returns the index of the k-th candidate.
func (c *candidates) nth(k int) int {
	for i := range c.ups {
		if c.ok(i) {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return -1
}

// rendezvous picks the candidate with the highest hash of key and its
// seed (highest random weight): a key stays on its upstream while that
// one is up, and only the keys of an upstream taken out move.
func (c *candidates) rendezvous(key []byte) int {
	best, bestW := -1, uint64(0)
	for i, u := range c.ups {
		if !c.ok(i) {
			continue
		}
		if w := mix(key, u.seed); best < 0 || w > bestW {
			best, bestW = i, w
		}
	}
	return best
}

// mix is FNV-1a of key started from seed, finished with a 64-bit mixer so
// that near seeds give unrelated weights.
func mix(key []byte, seed uint64) uint64 {
	h := seed ^ 14695981039346656037
	for _, b := range key {
		h ^= uint64(b)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
