package wsgi

import "os"

// tempFileNamed creates a temporary file and unlinks it at once, for file
// systems without O_TMPFILE.
func tempFileNamed(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "brick-wsgi-")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return f, nil
}
