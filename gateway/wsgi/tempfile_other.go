//go:build !linux

package wsgi

import "os"

// tempFile returns an unlinked temporary file in dir.
func tempFile(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	return tempFileNamed(dir)
}
