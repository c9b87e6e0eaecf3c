package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/web"
)

// runBinary runs the real binary to its end and returns its exit code,
// standard output and standard error.
func runBinary(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	bin := binary(t) // built before the clock starts: a build under load takes long
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("brick %q did not exit within 20 s (serving instead?)\nstdout: %s\nstderr: %s", args, out.String(), errb.String())
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// TestCommandLine runs the real binary: subcommands are recognised before
// a directory is, a mistyped one is named with the nearest, help asked
// for goes to stdout with status 0, and a mistake goes to stderr with 2.
func TestCommandLine(t *testing.T) {
	// A directory named like a command does not hide the command; an
	// existing directory with another name is served.
	cwd := t.TempDir()
	for _, d := range []string{"version", "wgsi"} {
		if err := os.Mkdir(filepath.Join(cwd, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		args    []string
		code    int
		stdout  []string // each must be there; none means stdout is empty
		stderr  []string // likewise for stderr
		noStdio string   // must be in neither
	}{
		{"help", []string{"help"}, 0, []string{"Usage: brick [flags] [DIR]", "brick wsgi [flags] module:callable", "-addr"}, nil, ""},
		{"-h", []string{"-h"}, 0, []string{"Usage: brick [flags] [DIR]"}, nil, ""},
		{"--help", []string{"--help"}, 0, []string{"Usage: brick [flags] [DIR]"}, nil, ""},
		{"help wsgi", []string{"help", "wsgi"}, 0, []string{"Usage: brick wsgi [flags] module:callable\n", "-workers"}, nil, "[module:callable]"},
		{"wsgi -h", []string{"wsgi", "-h"}, 0, []string{"Usage: brick wsgi [flags] module:callable\n"}, nil, ""},
		{"run -h", []string{"run", "-h"}, 0, []string{"Usage: brick run [-config FILE] [flags]\n", "-config file"}, nil, "[-config brick.toml]"},
		{"help run", []string{"help", "run"}, 0, []string{"Usage: brick run [-config FILE] [flags]\n"}, nil, ""},
		{"validate -h", []string{"validate", "-h"}, 0, []string{"Usage: brick validate [-config FILE]\n", "Checks a configuration file", "-config file"}, nil, "Usage of"},
		{"help validate", []string{"help", "validate"}, 0, []string{"Usage: brick validate [-config FILE]\n"}, nil, ""},
		{"help version", []string{"help", "version"}, 0, []string{"Usage: brick version\n"}, nil, ""},
		{"help help", []string{"help", "help"}, 0, []string{"Usage: brick help [command]\n"}, nil, ""},
		{"version despite a directory named version", []string{"version"}, 0, []string{"brick "}, nil, ""},
		{"--version", []string{"--version"}, 0, []string{"brick "}, nil, ""},
		{"-version", []string{"-version"}, 0, []string{"brick "}, nil, ""},
		{"mistyped command", []string{"wsig", "app:app"}, 2, nil, []string{"brick: unknown command 'wsig'; did you mean 'wsgi'?\n"}, ""},
		{"mistyped command, transposed", []string{"rnu"}, 2, nil, []string{"brick: unknown command 'rnu'; did you mean 'run'?\n"}, ""},
		{"unknown word", []string{"frobnicate"}, 2, nil, []string{"brick: unknown command 'frobnicate', and no directory of that name here (commands: wsgi, asgi, php, proxy, run, validate, help, version; see brick help)\n"}, ""},
		{"help of an unknown command", []string{"help", "vesion"}, 2, nil, []string{"brick help: unknown command 'vesion'; did you mean 'version'?\n"}, ""},
		{"unknown flag", []string{"-nope"}, 2, nil, []string{"brick: flag provided but not defined: -nope\n", "usage: brick [flags] [DIR]\n", "Run 'brick -h' for the flags."}, ""},
		{"unknown flag of wsgi", []string{"wsgi", "-nope", "app"}, 2, nil, []string{"brick wsgi: flag provided but not defined: -nope\n", "usage: brick wsgi [flags] module:callable\n"}, ""},
		{"wsgi without the application", []string{"wsgi"}, 2, nil, []string{"brick wsgi: say which application to run", "usage: brick wsgi [flags] module:callable\n"}, ""},
		{"run with an argument", []string{"run", "brick.toml"}, 2, nil, []string{"brick run: unexpected argument \"brick.toml\" (the file goes after -config)\n", "usage: brick run [-config FILE] [flags]\n"}, ""},
		{"validate with an argument", []string{"validate", "x.toml"}, 2, nil, []string{"brick validate: unexpected argument \"x.toml\"", "usage: brick validate [-config FILE]\n"}, ""},
		{"version with an argument", []string{"version", "x"}, 2, nil, []string{"brick version: unexpected argument \"x\"\n"}, ""},
		{"help with two arguments", []string{"help", "run", "x"}, 2, nil, []string{"brick help: unexpected argument \"x\""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runBinary(t, cwd, tc.args...)
			check := func(what, got string, want []string) {
				if len(want) == 0 && got != "" {
					t.Errorf("brick %q printed on %s:\n%s", tc.args, what, got)
				}
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("brick %q: %s lacks %q:\n%s", tc.args, what, w, got)
					}
				}
			}
			if code != tc.code {
				t.Errorf("brick %q exited %d, want %d\nstdout: %s\nstderr: %s", tc.args, code, tc.code, stdout, stderr)
			}
			check("stdout", stdout, tc.stdout)
			check("stderr", stderr, tc.stderr)
			if tc.noStdio != "" && strings.Contains(stdout+stderr, tc.noStdio) {
				t.Errorf("brick %q says %q:\n%s%s", tc.args, tc.noStdio, stdout, stderr)
			}
		})
	}
}

// TestHelpStatesEachDefaultOnce: the flag list already says "(default
// X)"; the text around it does not say it again, and every subcommand's
// help is its own, not flag's bare default.
func TestHelpStatesEachDefaultOnce(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"wsgi", "-h"}, {"run", "-h"}, {"validate", "-h"}, {"version", "-h"}, {"help", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runBinary(t, t.TempDir(), args...)
			if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: brick") {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			// Each flag's entry is its line and the indented usage below.
			for _, entry := range regexp.MustCompile(`(?m)^  -`).Split(stdout, -1)[1:] {
				if n := strings.Count(strings.ToLower(entry), "default"); n > 1 {
					t.Errorf("the default is stated %d times in -%s", n, entry)
				}
			}
			// The synopsis names no value that the flag list gives as default.
			synopsis := stdout[:strings.Index(stdout, "\n\n")]
			for _, m := range regexp.MustCompile(`\(default "?([^")]+)"?\)`).FindAllStringSubmatch(stdout, -1) {
				if strings.Contains(synopsis, m[1]) {
					t.Errorf("the synopsis states the default %q again:\n%s", m[1], synopsis)
				}
			}
		})
	}
}

// TestSuggest: the nearest command within two edits, a transposition
// being one.
func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"wgsi", "wsgi"}, {"wsig", "wsgi"}, {"WSGI", "wsgi"}, {"rn", "run"}, {"urn", "run"},
		{"valdiate", "validate"}, {"verison", "version"}, {"hlep", "help"},
		{"site", ""}, {"public", ""}, {"x", ""}, {"docs", ""},
	}
	for _, tc := range tests {
		if got := suggest(tc.word); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.word, got, tc.want)
		}
	}
}

// TestVersion: brick version says what the build recorded, as `go
// version -m` reads it from the binary.
func TestVersion(t *testing.T) {
	code, stdout, stderr := runBinary(t, t.TempDir(), "version")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	out, err := exec.Command("go", "version", "-m", binary(t)).Output()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := debug.ParseBuildInfo(string(out[bytes.IndexByte(out, '\n')+1:]))
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	bi.GoVersion = strings.TrimSpace(strings.TrimPrefix(string(out[:bytes.IndexByte(out, '\n')]), binary(t)+":"))
	if want := versionLine(bi) + "\n"; stdout != want {
		t.Errorf("brick version = %q, want %q", stdout, want)
	}
	if !strings.HasPrefix(stdout, "brick ") || !strings.Contains(stdout, " go1.") {
		t.Errorf("brick version = %q, want the module version and the Go release", stdout)
	}
}

// TestVersionLine: the revision and whether the tree was modified, when
// the build recorded them.
func TestVersionLine(t *testing.T) {
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"no VCS", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}}, "brick (devel) go1.26.8"},
		{"no version", debug.BuildInfo{GoVersion: "go1.26.8"}, "brick (devel) go1.26.8"},
		{"clean", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
			Settings: setting("vcs", "git", "vcs.revision", "abc123", "vcs.modified", "false")}, "brick v1.2.3 go1.26.8 vcs.revision=abc123"},
		{"modified", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"},
			Settings: setting("vcs.revision", "abc123", "vcs.modified", "true")}, "brick (devel) go1.26.8 vcs.revision=abc123 (modified)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := versionLine(&tc.bi); got != tc.want {
				t.Errorf("versionLine = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestQuickModesListenOnLoopback: the quick modes listen on this machine
// only unless -addr says otherwise, and say how to widen it; a file's
// listen keeps the file format's default, every interface.
func TestQuickModesListenOnLoopback(t *testing.T) {
	helps := []struct {
		args []string
		want string
	}{
		{[]string{"-h"}, "(default 127.0.0.1:8888)"},
		{[]string{"wsgi", "-h"}, "(default 127.0.0.1:8888)"},
		{[]string{"run", "-h"}, "(default :8888)"},
	}
	for _, h := range helps {
		if _, stdout, _ := runBinary(t, t.TempDir(), h.args...); !strings.Contains(stdout, h.want) {
			t.Errorf("brick %q: -addr is not %s:\n%s", h.args, h.want, stdout)
		}
	}
	lines := []struct {
		addr, want string
	}{
		{"127.0.0.1:0", `reach="only this machine; -addr :%s for every interface"`},
		{"[::1]:0", `reach="only this machine; -addr :%s for every interface"`},
		{":0", ""},
	}
	for _, tc := range lines {
		t.Run(tc.addr, func(t *testing.T) {
			if strings.HasPrefix(tc.addr, "[::1]") {
				if ln, err := net.Listen("tcp6", "[::1]:0"); err != nil {
					testutil.Need(t, "IPv6 loopback", err)
				} else {
					ln.Close()
				}
			}
			p := start(t, "-addr", tc.addr)
			_, port, _ := net.SplitHostPort(p.addr)
			line := p.output()[:strings.Index(p.output(), "\n")]
			if tc.want == "" {
				if strings.Contains(line, "reach=") {
					t.Errorf("every interface, yet the start-up line says: %s", line)
				}
				return
			}
			if want := fmt.Sprintf(tc.want, port); !strings.Contains(line, want) {
				t.Errorf("start-up line lacks %s:\n%s", want, line)
			}
		})
	}
}

// TestWelcomeShowsAddress: the default page's examples name the address
// the request came to, escaped, not a fixed localhost:8888.
func TestWelcomeShowsAddress(t *testing.T) {
	p := start(t, "-addr", "127.0.0.1:0")
	host, port, _ := net.SplitHostPort(p.addr)
	tests := []struct {
		name    string
		request string
		want    []string
	}{
		{"the address browsed", "GET / HTTP/1.1\r\nHost: " + p.addr + "\r\nConnection: close\r\n\r\n",
			[]string{"curl -i http://" + p.addr + "/hello", "telnet " + host + " " + port}},
		{"a name", "GET / HTTP/1.1\r\nHost: brick.test:9090\r\nConnection: close\r\n\r\n",
			[]string{"curl -i http://brick.test:9090/hello", "telnet brick.test 9090"}},
		{"no port", "GET / HTTP/1.1\r\nHost: brick.test\r\nConnection: close\r\n\r\n",
			[]string{"curl -i http://brick.test/hello", "telnet brick.test 80"}},
		{"IPv6", "GET / HTTP/1.1\r\nHost: [::1]:9090\r\nConnection: close\r\n\r\n",
			[]string{"curl -i http://[::1]:9090/hello", "telnet ::1 9090"}},
		{"no Host field: the listener's", "GET / HTTP/1.0\r\n\r\n",
			[]string{"curl -i http://" + p.addr + "/hello", "telnet " + host + " " + port}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", p.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			io.WriteString(c, tc.request)
			b, _ := io.ReadAll(c)
			resp := string(b)
			if !strings.HasPrefix(resp, "HTTP/1.") || !strings.Contains(resp, " 200 ") {
				t.Fatalf("response:\n%s", resp)
			}
			for _, w := range tc.want {
				if !strings.Contains(resp, w) {
					t.Errorf("page lacks %q:\n%s", w, resp)
				}
			}
			if strings.Contains(resp, "localhost:8888") || strings.Contains(resp, "localhost 8888") {
				t.Errorf("page still names localhost:8888")
			}
		})
	}
}

// TestWelcomeEscapesHost: the Host field is the client's; whatever the
// engine lets through is shown as text, never as markup.
func TestWelcomeEscapesHost(t *testing.T) {
	r := &web.Request{}
	r.Host = []byte(`a<script>"x"</script>:1`)
	page := welcomeFor(r)
	if strings.Contains(page, "<script>") || !strings.Contains(page, "http://a&lt;script&gt;&#34;x&#34;&lt;/script&gt;:1/hello") {
		t.Errorf("the Host field is not escaped:\n%s", page)
	}
}
