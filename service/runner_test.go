package service

import (
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestRunnerStartedCatchesSignals signals the process from Started, as a
// script that waits for "brick is serving" does the moment it reads it:
// SIGHUP must reach OnHUP, not end the process (the default action), and
// SIGTERM must then stop the runner.
func TestRunnerStartedCatchesSignals(t *testing.T) {
	hup := make(chan struct{})
	r := &Runner{
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Grace: time.Second,
		Started: func() {
			syscall.Kill(os.Getpid(), syscall.SIGHUP)
		},
		OnHUP: func() {
			close(hup)
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
		},
	}
	code := make(chan int, 1)
	go func() { code <- r.Run() }()
	select {
	case c := <-code:
		select {
		case <-hup:
		default:
			t.Fatalf("Run returned %d without running OnHUP", c)
		}
		if c != 0 {
			t.Fatalf("Run returned %d; want 0 after SIGTERM", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after SIGHUP then SIGTERM")
	}
}
