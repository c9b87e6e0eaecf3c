package cgienv

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// FuzzBuild parses a fuzzed request head, builds its environment under a
// fuzzed mount point, and checks what must hold for every request: no
// panic; every key passed once and either a known CGI name or
// HTTP_[A-Z0-9_]+; no NUL in a value; never HTTP_PROXY, HTTP_CONTENT_* or
// HTTP_TRANSFER_ENCODING; SCRIPT_NAME+PATH_INFO equal to the path decoded
// by net/url, and the verdicts ErrBadPath and ErrOutsideMount agreeing with
// that reference; one HTTP_* key for each field name that should pass.
func FuzzBuild(f *testing.F) {
	for _, tc := range buildTests {
		mount := ""
		if tc.opt != nil {
			mount = tc.opt.ScriptName
		}
		f.Add([]byte(tc.raw), mount, tc.bodyLen)
	}
	f.Fuzz(checkBuild)
}

func checkBuild(t *testing.T, raw []byte, mount string, bodyLen int64) {
	if len(raw) > 8<<10 || len(mount) > 256 {
		return
	}
	r, err := tryParse(raw, "192.0.2.1:1234", "[2001:db8::1]:8080")
	if err != nil {
		return
	}
	o := &Options{ScriptName: mount}
	e, err := build(t, r, o, bodyLen)

	path := string(r.Path)
	ref, refErr := url.PathUnescape(path)
	bad := refErr != nil || strings.IndexByte(ref, 0) >= 0 || refHasDotSegment(ref)
	m := strings.Trim(mount, "/")
	inside := m == "" || ref == "/"+m || strings.HasPrefix(ref, "/"+m+"/")
	switch {
	case bad:
		if !errors.Is(err, ErrBadPath) {
			t.Fatalf("path %q (decoded %q, %v): err = %v, want ErrBadPath", path, ref, refErr, err)
		}
		return
	case !inside:
		if !errors.Is(err, ErrOutsideMount) {
			t.Fatalf("path %q (decoded %q) under mount %q: err = %v, want ErrOutsideMount", path, ref, mount, err)
		}
		return
	case err != nil:
		t.Fatalf("path %q (decoded %q) under mount %q: err = %v", path, ref, mount, err)
	}

	script, _ := e.get("SCRIPT_NAME")
	info, _ := e.get("PATH_INFO")
	if script+info != ref {
		t.Errorf("SCRIPT_NAME %q + PATH_INFO %q != decoded path %q", script, info, ref)
	}
	if wantScript := "/" + m; m != "" && script != wantScript || m == "" && script != "" {
		t.Errorf("SCRIPT_NAME %q for mount %q", script, mount)
	}
	for _, k := range []string{"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI",
		"RAW_URI", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "GATEWAY_INTERFACE",
		"REQUEST_SCHEME", "REMOTE_ADDR", "REMOTE_PORT"} {
		if _, ok := e.get(k); !ok {
			t.Errorf("%s missing", k)
		}
	}
	for _, k := range []string{"SERVER_NAME", "SERVER_PORT", "REQUEST_METHOD"} {
		if v, _ := e.get(k); v == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if _, ok := e.get("CONTENT_LENGTH"); ok != (bodyLen >= 0) {
		t.Errorf("CONTENT_LENGTH passed = %v for bodyLen %d", ok, bodyLen)
	}

	// One HTTP_* key per passable field name, HTTP_HOST aside.
	var names []string
	for _, fl := range r.Header.Fields() {
		name := strings.ToUpper(string(fl.Name))
		switch name {
		case "HOST", "PROXY", "CONTENT-TYPE", "CONTENT-LENGTH", "TRANSFER-ENCODING":
			continue
		}
		if strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			continue
		}
		key := "HTTP_" + strings.ReplaceAll(name, "-", "_")
		v, ok := e.get(key)
		if !ok || !strings.Contains(v, string(fl.Value)) {
			t.Errorf("field %q: %s = %q, %v", fl.Name, key, v, ok)
		}
		if !slices.Contains(names, key) {
			names = append(names, key)
		}
	}
	n := 0
	for _, k := range e.keys {
		if strings.HasPrefix(k, "HTTP_") && k != "HTTP_HOST" {
			n++
		}
	}
	if n != len(names) {
		t.Errorf("%d HTTP_* keys, want %d (%q)", n, len(names), names)
	}
	if t.Failed() {
		t.Logf("request %q, mount %q:\n%s", raw, mount, e)
	}
}

// refHasDotSegment is hasDotSegment written another way.
func refHasDotSegment(p string) bool {
	return slices.ContainsFunc(strings.Split(p, "/"), func(s string) bool { return s == "." || s == ".." })
}
