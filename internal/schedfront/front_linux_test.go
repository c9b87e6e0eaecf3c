package schedfront

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestHold: the threads stay under the held policy until every holder
// has released it, then get back the one they had; Unheld runs its
// function under that one meanwhile; a second release of the same
// holder changes nothing.
func TestHold(t *testing.T) {
	const other = 0 // SCHED_OTHER
	if got := threadPolicies(t); len(got) != 1 || !got[other] {
		t.Fatalf("the test starts with policies %v; want SCHED_OTHER alone", got)
	}
	r1, err := Hold(Batch)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Hold(Batch)
	if err != nil {
		t.Fatal(err)
	}
	want := func(step string, policy int) {
		t.Helper()
		if got := threadPolicies(t); len(got) != 1 || !got[policy] {
			t.Fatalf("%s: thread policies %v; want %d alone", step, got, policy)
		}
	}
	want("held twice", Batch)
	var inside int
	Unheld(func() { inside, _, _ = getScheduler(0) })
	if inside != other {
		t.Errorf("Unheld ran its function under policy %d; want %d", inside, other)
	}
	want("after Unheld", Batch)
	r1()
	r1()
	want("one of two released (twice)", Batch)
	r2()
	want("both released", other)
}

// threadPolicies returns the set of policies the process's threads run
// under, from /proc (the 41st field of each thread's stat).
func threadPolicies(t *testing.T) map[int]bool {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	set := map[int]bool{}
	for _, task := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + task.Name() + "/stat")
		if err != nil {
			continue // the thread ended
		}
		_, after, _ := strings.Cut(string(b), ") ")
		f := strings.Fields(after)
		if len(f) < 39 {
			t.Fatalf("stat: %q", b)
		}
		n, err := strconv.Atoi(f[38])
		if err != nil {
			t.Fatal(err)
		}
		set[n] = true
	}
	return set
}
