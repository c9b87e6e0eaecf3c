package proxy_test

import (
	"os"
	"testing"
	"time"
)

// TestActiveHealth: an upstream whose health URI fails is taken out by
// the check, and back once it answers again.
func TestActiveHealth(t *testing.T) {
	a, b := startPython(t, "a"), startPython(t, "b")
	if err := os.WriteFile(b.sick, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	c := config(a.URL, b.URL)
	c.HealthURI, c.HealthInterval = "/health", 100*time.Millisecond
	addr, _ := serve(t, c)
	names := func() map[string]int {
		seen := map[string]int{}
		for range 6 {
			r := get(t, addr, "/")
			seen[decodeEcho(t, r.Body).Name]++
		}
		return seen
	}
	waitFor(t, func() bool { return names()["b"] == 0 }, "the sick upstream taken out")
	os.Remove(b.sick)
	waitFor(t, func() bool { return names()["b"] > 0 }, "the healed upstream back")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
