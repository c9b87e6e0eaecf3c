//go:build unix

package procpool

import (
	"strings"
	"testing"
)

func TestExit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		script string
		want   string
	}{
		{"success", `exit 0`, "exit status 0"},
		{"exit code", `exit 3`, "exit status 3"},
		{"SIGKILL", `kill -KILL $$`, "killed by signal 9 (SIGKILL)"},
		{"SIGTERM", `kill -TERM $$`, "killed by signal 15 (SIGTERM)"},
		// Fault signals are spelled out: the child crashed by itself.
		{"segfault", `exec ` + python + ` -c 'import os,signal; os.kill(os.getpid(), signal.SIGSEGV)'`, "killed by signal 11 (SIGSEGV: segmentation fault)"},
		{"abort", `kill -ABRT $$`, "killed by signal 6 (SIGABRT: aborted)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var c collector
			// No core files in the test directory; a core_pattern pipe
			// may dump anyway, hence the trimmed suffix below.
			p := startSh(t, "ulimit -c 0; "+tc.script, &c)
			waitDone(t, p)
			if got := strings.TrimSuffix(p.Exit(), ", core dumped"); got != tc.want {
				t.Errorf("Exit() = %q, want %q (output %q)", got, tc.want, c.get())
			}
		})
	}
}
