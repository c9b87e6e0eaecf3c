package cgienv

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// parse builds a web.Request the way the server does: the wire parser over
// the raw head, then the connection's addresses.
func parse(tb testing.TB, raw string, remote, local string) *web.Request {
	tb.Helper()
	r, err := tryParse([]byte(raw), remote, local)
	if err != nil {
		tb.Fatalf("parsing %q: %v", raw, err)
	}
	return r
}

func tryParse(raw []byte, remote, local string) (*web.Request, error) {
	r := &web.Request{Body: web.NoBody}
	if _, err := new(wire.RequestParser).Parse(&r.RequestHead, raw, nil); err != nil {
		return nil, err
	}
	if remote != "" {
		r.RemoteAddr = netip.MustParseAddrPort(remote)
	}
	if local != "" {
		r.LocalAddr = netip.MustParseAddrPort(local)
	}
	return r, nil
}

// env is a Sink that copies every pair, in order, and records a key passed
// twice as an error.
type env struct {
	keys, values []string
	dup          []string
}

func (e *env) Add(key, value []byte) {
	k := string(key)
	if slices.Contains(e.keys, k) {
		e.dup = append(e.dup, k)
	}
	e.keys = append(e.keys, k)
	e.values = append(e.values, string(value))
}

func (e *env) get(key string) (string, bool) {
	i := slices.Index(e.keys, key)
	if i < 0 {
		return "", false
	}
	return e.values[i], true
}

func (e *env) String() string {
	var b strings.Builder
	for i, k := range e.keys {
		fmt.Fprintf(&b, "%s=%q\n", k, e.values[i])
	}
	return b.String()
}

// build runs a fresh Builder and checks the invariants every result keeps.
func build(tb testing.TB, r *web.Request, o *Options, bodyLen int64) (*env, error) {
	tb.Helper()
	var b Builder
	e := &env{}
	err := b.Build(e, r, o, bodyLen)
	if err != nil && len(e.keys) > 0 {
		tb.Errorf("Build failed with %v after passing %d pairs", err, len(e.keys))
	}
	checkInvariants(tb, e)
	return e, err
}

// knownKeys are the keys Build passes other than HTTP_*.
var knownKeys = []string{
	"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI",
	"CONTENT_TYPE", "CONTENT_LENGTH", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL",
	"SERVER_SOFTWARE", "GATEWAY_INTERFACE", "REQUEST_SCHEME", "HTTPS", "REMOTE_ADDR", "REMOTE_PORT",
}

var httpKey = regexp.MustCompile(`^HTTP_[A-Z0-9_]+$`)

func checkInvariants(tb testing.TB, e *env) {
	tb.Helper()
	if len(e.dup) > 0 {
		tb.Errorf("keys passed more than once: %q", e.dup)
	}
	for i, k := range e.keys {
		if !slices.Contains(knownKeys, k) && !httpKey.MatchString(k) {
			tb.Errorf("unexpected key %q", k)
		}
		switch k {
		case "HTTP_PROXY", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING":
			tb.Errorf("forbidden key %q=%q", k, e.values[i])
		}
		if strings.IndexByte(e.values[i], 0) >= 0 {
			tb.Errorf("%s holds a NUL: %q", k, e.values[i])
		}
	}
}
