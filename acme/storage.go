package acme

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// systemStorage is where a system service keeps its certificates.
const systemStorage = "/var/lib/brick"

// DefaultStorage is the storage directory when [tls] storage gives none:
// $XDG_DATA_HOME/brick when that is set; else /var/lib/brick when Brick
// may write there (a system service, root); else ~/.local/share/brick, the
// XDG default for a user.
func DefaultStorage() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "brick")
	}
	if writable(systemStorage) || !exists(systemStorage) && writable(filepath.Dir(systemStorage)) {
		return systemStorage
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "share", "brick")
	}
	return systemStorage
}

func writable(dir string) bool { return unix.Access(dir, unix.W_OK|unix.X_OK) == nil }

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
