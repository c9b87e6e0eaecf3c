package main

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

// TestSettle: settle returns within a window or two for an idle server
// and waits out its limit for one that keeps a CPU busy.
func TestSettle(t *testing.T) {
	tests := []struct {
		name     string
		script   string
		min, max time.Duration
	}{
		{"idle", "sleep 30", 0, 2 * time.Second},
		{"busy", "while :; do :; done", 2 * time.Second, 4 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("sh", "-c", tc.script)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { cmd.Process.Kill(); cmd.Wait() }()
			start := time.Now()
			settle(context.Background(), cmd.Process.Pid, 2*time.Second)
			if d := time.Since(start); d < tc.min || d > tc.max {
				t.Fatalf("settle took %v, want %v to %v", d, tc.min, tc.max)
			}
		})
	}
}
