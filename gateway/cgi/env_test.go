package cgi_test

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"

	"github.com/brick-server/brick/gateway/cgi"
)

const (
	envSh = "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\n'\nexec env\n"
	envPy = "#!/usr/bin/python3\nimport os, sys\nsys.stdout.write('Content-Type: text/plain\\n\\n')\n" +
		"for k, v in os.environ.items():\n    sys.stdout.write(k + '=' + v + '\\n')\n"
)

// TestMetaVariables runs a shell and a Python script that print their
// environment, and compares it with RFC 3875 §4.1, variable by variable.
func TestMetaVariables(t *testing.T) {
	needTools(t)
	t.Setenv("BRICK_TEST_SECRET", "not for scripts")
	root := makeRoot(t, map[string]file{"env.sh": exe(envSh), "sub/env.py": exe(envPy)})
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	const head = "POST %s HTTP/1.1\nHost: Example.TEST:8080\nContent-Type: application/x-www-form-urlencoded\n" +
		"Content-Length: 3\nX-Custom: one\nX-Custom: two\nX_Underscore: no\nProxy: http://evil.example/\n" +
		"Authorization: Basic Zm9vOmJhcg==\nCookie: a=1\nCookie: b=2\nConnection: close"
	for _, script := range []string{"/env.sh", "/sub/env.py"} {
		for _, pass := range []bool{false, true} {
			addr, _ := serve(t, cgi.Config{Root: root, PassAuthorization: pass,
				Env: []string{"FROM_CONFIG=yes", "SCRIPT_NAME=/not/this"}})
			r := do(t, addr, fmt.Sprintf(head, "/cgi-bin"+script+"/a/b%20c?x=1&y=%20"), []byte("a=1"))
			if r.status != 200 {
				t.Fatalf("%s: status %d: %s", script, r.status, r.body)
			}
			env := envOf(r.body)
			_, port, _ := net.SplitHostPort(r.local)
			want := map[string]string{
				"CONTENT_LENGTH":    "3",                                 // §4.1.2
				"CONTENT_TYPE":      "application/x-www-form-urlencoded", // §4.1.3
				"GATEWAY_INTERFACE": "CGI/1.1",                           // §4.1.4
				"PATH_INFO":         "/a/b c",                            // §4.1.5: decoded
				"PATH_TRANSLATED":   filepath.Join(real, "a", "b c"),     // §4.1.6
				"QUERY_STRING":      "x=1&y=%20",                         // §4.1.7: not decoded
				"REMOTE_ADDR":       "127.0.0.1",                         // §4.1.8
				"REMOTE_HOST":       "127.0.0.1",                         // §4.1.9: the address stands in
				"REMOTE_PORT":       port,
				"REQUEST_METHOD":    "POST",                          // §4.1.12
				"SCRIPT_NAME":       "/cgi-bin" + script,             // §4.1.13: wins over Env
				"SERVER_NAME":       "Example.TEST",                  // §4.1.14
				"SERVER_PORT":       "8080",                          // §4.1.15
				"SERVER_PROTOCOL":   "HTTP/1.1",                      // §4.1.16
				"SERVER_SOFTWARE":   "Brick",                         // §4.1.17
				"HTTP_HOST":         "Example.TEST:8080",             // §4.1.18
				"HTTP_X_CUSTOM":     "one, two",                      // §4.1.18: joined
				"HTTP_COOKIE":       "a=1; b=2",                      // joined as cookies are
				"SCRIPT_FILENAME":   filepath.Join(real, script[1:]), // Apache's
				"PATH":              cgi.DefaultPath,
				"FROM_CONFIG":       "yes",
			}
			if pass {
				want["HTTP_AUTHORIZATION"] = "Basic Zm9vOmJhcg=="
			}
			for k, v := range want {
				if got, ok := env[k]; !ok || got != v {
					t.Errorf("%s (pass_authorization %v): %s = %q (set: %v), want %q", script, pass, k, got, ok, v)
				}
			}
			absent := []string{"HTTP_PROXY", "HTTP_X_UNDERSCORE", "HTTP_CONTENT_LENGTH", "HTTP_CONTENT_TYPE",
				"BRICK_TEST_SECRET", "AUTH_TYPE", "REMOTE_USER"}
			if !pass {
				absent = append(absent, "HTTP_AUTHORIZATION")
			}
			for _, k := range absent {
				if v, ok := env[k]; ok {
					t.Errorf("%s: %s is set (%q), want it absent", script, k, v)
				}
			}
		}
	}
}

// TestMetaVariablesGet checks what a GET without a body, to the script
// itself with no PATH_INFO, sees.
func TestMetaVariablesGet(t *testing.T) {
	needTools(t)
	root := makeRoot(t, map[string]file{"env.sh": exe(envSh)})
	addr, _ := serve(t, cgi.Config{Root: root})
	r := do(t, addr, "GET /cgi-bin/env.sh HTTP/1.0", nil)
	env := envOf(r.body)
	want := map[string]string{"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/cgi-bin/env.sh", "PATH_INFO": "",
		"QUERY_STRING": "", "SERVER_PROTOCOL": "HTTP/1.0", "SERVER_NAME": "127.0.0.1"}
	for k, v := range want {
		if got, ok := env[k]; !ok || got != v {
			t.Errorf("%s = %q (set: %v), want %q", k, got, ok, v)
		}
	}
	for _, k := range []string{"CONTENT_LENGTH", "CONTENT_TYPE", "PATH_TRANSLATED"} {
		if v, ok := env[k]; ok {
			t.Errorf("%s is set (%q), want it absent (RFC 3875 §4.1.2, §4.1.3, §4.1.6)", k, v)
		}
	}
}
