package certs

import "time"

// SetClock sets the time the CA issues and renews by.
func SetClock(ca *InternalCA, now func() time.Time) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.now = now
}
