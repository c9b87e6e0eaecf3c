package router

import (
	"bytes"
	"errors"
	"strings"
)

// maxHost is the longest host name looked up (a DNS name has at most 253
// characters); a longer Host goes to the default site.
const maxHost = 255

// hostKey writes the lookup form of a Host value into buf: without its
// port and trailing dot, in lower case. It returns nil for a host that
// cannot name a site (empty, too long).
func hostKey(buf *[maxHost]byte, host []byte) []byte {
	h := host
	if len(h) > 0 && h[0] == '[' {
		// An IPv6 literal keeps its brackets, as Site.Hosts write it.
		if i := bytes.IndexByte(h, ']'); i >= 0 {
			h = h[:i+1]
		}
	} else if i := bytes.IndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	if len(h) > 0 && h[len(h)-1] == '.' {
		h = h[:len(h)-1]
	}
	if len(h) == 0 || len(h) > maxHost {
		return nil
	}
	for i, c := range h {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(h)]
}

// site returns the site for a Host value, or nil.
func (rt *Router) site(host []byte) *siteEntry {
	if testHookRoute != nil {
		testHookRoute()
	}
	var buf [maxHost]byte
	k := hostKey(&buf, host)
	if k == nil {
		return rt.def
	}
	if s := rt.exact[string(k)]; s != nil {
		return s
	}
	if len(rt.wild) > 0 {
		// The first suffix found from the left is the longest wildcard.
		for i, c := range k {
			if c == '.' {
				if s := rt.wild[string(k[i+1:])]; s != nil {
					return s
				}
			}
		}
	}
	return rt.def
}

// normalHost checks a configured host name and returns its lookup form;
// wild reports a "*.suffix" wildcard, returned as its suffix.
func normalHost(h string) (name string, wild bool, err error) {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		h, wild = rest, true
	}
	if h == "" || len(h) > maxHost {
		return "", false, errors.New("empty or too long")
	}
	if h[0] == '[' {
		if wild || h[len(h)-1] != ']' || len(h) < 4 || strings.Trim(h[1:len(h)-1], "0123456789abcdef:.") != "" {
			return "", false, errors.New("not a bracketed IPv6 address")
		}
		return h, false, nil
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" {
			return "", false, errors.New("has an empty label")
		}
		if strings.Trim(label, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return "", false, errors.New("has a character other than a-z, 0-9, '-', '_' and '.' (ports are not part of a site's host; international names are written in punycode)")
		}
	}
	return h, wild, nil
}
