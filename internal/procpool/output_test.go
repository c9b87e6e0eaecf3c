//go:build unix

package procpool

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// xs defines a shell function that writes n x's without a newline.
const xs = `xs() { head -c "$1" /dev/zero | tr '\0' x; }; `

func TestOutput(t *testing.T) {
	long := strings.Repeat("x", maxLine)
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{"lines in order", `printf 'one\ntwo\nthree\n'`, []string{"one", "two", "three"}},
		{"partial last line", `printf 'one\ntwo'`, []string{"one", "two"}},
		{"empty lines kept", `printf 'a\n\n\nb\n'`, []string{"a", "", "", "b"}},
		{"stderr", `printf 'e1\ne2\n' >&2`, []string{"e1", "e2"}},
		{"no output", `exit 0`, nil},
		{"carriage return kept", `printf 'a\r\n'`, []string{"a\r"}},
		// A line of exactly maxLine bytes fills the buffer before its
		// newline is seen; it must still arrive as one line, not as the
		// line and an empty one.
		{"line of exactly 64 KiB", `xs 65536; echo; echo after`, []string{long, "after"}},
		{"long line split", `xs 70000; echo`, []string{long, strings.Repeat("x", 70000-maxLine)}},
		{"long partial line split", `xs 65537`, []string{long, "x"}},
		{"output after exit of child", `(sleep 0.1; echo late) & echo early; wait`, []string{"early", "late"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c collector
			p := startSh(t, xs+tc.script, &c)
			waitDone(t, p)
			if got := c.get(); !slices.Equal(got, tc.want) {
				t.Errorf("output %s\nwant %s", summarize(got), summarize(tc.want))
			}
		})
	}
}

// TestOutputStreams checks that stdout and stderr each keep their own
// order, whatever their interleaving.
func TestOutputStreams(t *testing.T) {
	var c collector
	p := startSh(t, `for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done`, &c)
	waitDone(t, p)
	var out, errs []string
	for _, l := range c.get() {
		if strings.HasPrefix(l, "out") {
			out = append(out, l)
		} else {
			errs = append(errs, l)
		}
	}
	if want := []string{"out1", "out2", "out3", "out4", "out5"}; !slices.Equal(out, want) {
		t.Errorf("stdout %q, want %q", out, want)
	}
	if want := []string{"err1", "err2", "err3", "err4", "err5"}; !slices.Equal(errs, want) {
		t.Errorf("stderr %q, want %q", errs, want)
	}
}

// TestOutputNil checks that a child whose output nobody wants is not
// blocked by a full pipe.
func TestOutputNil(t *testing.T) {
	p := startSpec(t, Spec{Path: "/bin/sh", Args: []string{"-c", `head -c 1000000 /dev/zero`}})
	waitDone(t, p)
	if got := p.Exit(); got != "exit status 0" {
		t.Errorf("Exit() = %q", got)
	}
}

// summarize shortens long lines for failure messages.
func summarize(lines []string) string {
	short := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > 40 {
			short[i] = fmt.Sprintf("%.20s...(%d bytes)", l, len(l))
		} else {
			short[i] = strconv.Quote(l)
		}
	}
	return "[" + strings.Join(short, " ") + "]"
}
