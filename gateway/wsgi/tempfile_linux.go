package wsgi

import (
	"os"

	"golang.org/x/sys/unix"
)

// tempFile returns a file with no name in dir (O_TMPFILE): it cannot be
// left behind by a crash, and no other process can open it by path.
func tempFile(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.OpenFile(dir, unix.O_TMPFILE|os.O_RDWR, 0o600)
	if err == nil {
		return f, nil
	}
	return tempFileNamed(dir)
}
