package wsgi

import (
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// sockPair returns a sock and the raw descriptor of its peer, which
// stands for the worker.
func sockPair(t *testing.T) (*sock, int) {
	t.Helper()
	fds, err := pyproc.SocketPair()
	if err != nil {
		t.Fatal(err)
	}
	s := newSock(fds[0])
	t.Cleanup(func() { s.Close(); syscall.Close(fds[1]) })
	return s, fds[1]
}

// TestSockRead covers both phases of a read, the direct wait and the
// poller after it, and every way a wait ends: an answer, the worker's
// death, a deadline, an idle timeout, and Close from another goroutine.
func TestSockRead(t *testing.T) {
	t.Parallel()
	late := directWait + 30*time.Millisecond // after the direct wait gave up
	tests := []struct {
		name    string
		after   time.Duration
		peer    string // "write", "close" or "" (silent)
		closeUs bool   // close the sock from another goroutine instead
		dl      time.Duration
		idle    time.Duration
		want    error // nil: the answer
	}{
		{name: "answer at once", peer: "write"},
		{name: "answer during the direct wait", after: 300 * time.Microsecond, peer: "write"},
		{name: "answer after the direct wait", after: late, peer: "write"},
		{name: "worker dies during the direct wait", after: 300 * time.Microsecond, peer: "close", want: io.EOF},
		{name: "worker dies after the direct wait", after: late, peer: "close", want: io.EOF},
		{name: "deadline", dl: 3 * directWait, want: os.ErrDeadlineExceeded},
		{name: "idle timeout", idle: 3 * directWait, want: os.ErrDeadlineExceeded},
		{name: "answer before the idle timeout", idle: time.Second, after: late, peer: "write"},
		{name: "closed during the direct wait", after: 300 * time.Microsecond, closeUs: true, want: errAny},
		{name: "closed after the direct wait", after: late, closeUs: true, want: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, peer := sockPair(t)
			if tt.dl > 0 {
				s.SetDeadline(time.Now().Add(tt.dl))
			}
			if tt.idle > 0 {
				s.SetIdleTimeout(tt.idle)
			}
			go func() {
				time.Sleep(tt.after)
				switch {
				case tt.closeUs:
					s.Close()
				case tt.peer == "write":
					syscall.Write(peer, []byte("answer"))
				case tt.peer == "close":
					syscall.Shutdown(peer, syscall.SHUT_RDWR)
				}
			}()
			done := make(chan struct{})
			var n int
			var err error
			buf := make([]byte, 64)
			go func() {
				n, err = s.Read(buf)
				close(done)
			}()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Read did not return")
			}
			switch {
			case tt.want == nil:
				if err != nil || string(buf[:n]) != "answer" {
					t.Errorf("Read = %q, %v; want the answer", buf[:n], err)
				}
			case tt.want == errAny:
				if err == nil {
					t.Errorf("Read = %q, nil; want an error", buf[:n])
				}
			case !errors.Is(err, tt.want):
				t.Errorf("Read = %q, %v; want %v", buf[:n], err, tt.want)
			}
			if got := directSlots.Load(); got < 0 {
				t.Errorf("direct-wait slots: %d in use", got)
			}
		})
	}
}

// errAny stands for any error in TestSockRead's table.
var errAny = errors.New("any error")

// TestSockManyReaders: more socks than direct-wait slots, all waiting at
// once, each answered at a different time, all get their answers and
// every slot is given back.
func TestSockManyReaders(t *testing.T) {
	const n = 16
	var wg sync.WaitGroup
	for i := range n {
		s, peer := sockPair(t)
		wg.Go(func() {
			go func() {
				time.Sleep(time.Duration(i%4) * directWait)
				syscall.Write(peer, []byte{byte(i)})
			}()
			s.SetDeadline(time.Now().Add(5 * time.Second))
			var b [1]byte
			if n, err := s.Read(b[:]); n != 1 || err != nil || b[0] != byte(i) {
				t.Errorf("reader %d: %v %v, %v", i, n, b, err)
			}
		})
	}
	wg.Wait()
	if got := directSlots.Load(); got != 0 {
		t.Errorf("direct-wait slots in use after every read: %d", got)
	}
}

// TestSockSlowWorker: a worker that answers after the direct wait gave up
// is waited for in the poller from then on, and directly again once it
// answers within directWait. It runs alone (not parallel): a read finding
// every direct-wait slot taken by another test's pool goes to the poller
// without learning anything. The slow answers come late enough that a
// thread descheduled on a loaded machine still sees its wait run out.
func TestSockSlowWorker(t *testing.T) {
	s, peer := sockPair(t)
	late := directWait + 100*time.Millisecond
	steps := []struct {
		after    time.Duration
		wantSlow bool
	}{
		{0, false},
		{late, true},
		{late, true},
		{0, false},
	}
	var b [8]byte
	for i, st := range steps {
		if st.after == 0 {
			// Written before the read: a goroutine made runnable by the
			// reader may wait for its processor until the direct wait ends.
			syscall.Write(peer, []byte("x"))
		} else {
			go func() {
				time.Sleep(st.after)
				syscall.Write(peer, []byte("x"))
			}()
		}
		if n, err := s.Read(b[:]); n != 1 || err != nil {
			t.Fatalf("step %d: Read = %d, %v", i, n, err)
		}
		if s.slow != st.wantSlow {
			t.Errorf("step %d (answer after %v): slow = %v, want %v", i, st.after, s.slow, st.wantSlow)
		}
	}
}
