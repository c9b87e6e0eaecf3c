package testutil

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// RequireTools names the environment variable that turns a missing
// program into a failure instead of a skip. scripts/test sets it (it
// installs every program the tests use), so a machine without curl,
// Python or a browser cannot pass by skipping the tests that need them.
const RequireTools = "BRICK_REQUIRE_TOOLS"

// Python is Debian's interpreter, which has the python3-* packages
// scripts/test installs; the python3 on PATH may be another one (pyenv)
// without them.
const Python = "/usr/bin/python3"

// required says whether RequireTools is set to anything but "" or "0".
func required() bool {
	v := os.Getenv(RequireTools)
	return v != "" && v != "0"
}

// Need stops the test when err says that what, a program or module the
// test uses, is missing: it skips the test, or fails it when RequireTools
// is set. A nil err lets the test go on. Skips for other reasons (-short,
// another OS, no IPv6 on this machine) stay plain t.Skip calls.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if required() {
		t.Fatalf("%s is needed: %v (%s is set, so a missing program fails the test; scripts/test installs it)", what, err, RequireTools)
	}
	t.Skipf("%s is needed: %v (scripts/test installs it)", what, err)
}

// Want is Need for a part of a test that can run without what: it
// reports whether what is there, and when it is not, it logs so, or
// fails the test when RequireTools is set.
func Want(t testing.TB, what string, err error) bool {
	t.Helper()
	if err == nil {
		return true
	}
	if required() {
		t.Errorf("%s is needed: %v (%s is set, so a missing program fails the test; scripts/test installs it)", what, err, RequireTools)
		return false
	}
	t.Logf("%s is missing, its part of the test does not run: %v (scripts/test installs it)", what, err)
	return false
}

// LookPath returns the path of the first of names found on PATH (several
// names are alternatives, as chromium and chromium-browser), calling Need
// when none is.
func LookPath(t testing.TB, names ...string) string {
	t.Helper()
	var errs []error
	for _, name := range names {
		path, err := exec.LookPath(name)
		if err == nil {
			return path
		}
		errs = append(errs, err)
	}
	Need(t, strings.Join(names, " or "), errors.Join(errs...))
	return ""
}

// NeedPython returns Python after checking that it runs and imports
// modules, calling Need when it does not.
func NeedPython(t testing.TB, modules ...string) string {
	t.Helper()
	what := Python
	script := "pass"
	if len(modules) > 0 {
		what += " with " + strings.Join(modules, ", ")
		script = "import " + strings.Join(modules, ", ")
	}
	out, err := exec.Command(Python, "-c", script).CombinedOutput()
	if err != nil {
		if msg := strings.TrimSpace(string(out)); msg != "" {
			lines := strings.Split(msg, "\n")
			err = fmt.Errorf("%w: %s", err, lines[len(lines)-1])
		}
	}
	Need(t, what, err)
	return Python
}
