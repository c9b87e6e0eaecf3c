package brick_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestBenchModulesStayOut: the benchmark's peers and charts are required
// by bench/go.mod, not by Brick's, so a program that imports Brick does
// not download them.
func TestBenchModulesStayOut(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "all").Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	mods := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			mods[f[0]] = true
		}
	}
	for _, m := range []string{"github.com/valyala/fasthttp", "gonum.org/v1/plot"} {
		if mods[m] {
			t.Errorf("Brick's module graph has %s: it belongs in bench/go.mod", m)
		}
	}
}
