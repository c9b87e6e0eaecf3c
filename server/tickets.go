package server

import (
	"crypto/rand"
	"crypto/tls"
	"sync"
	"time"
)

// Session tickets. A ticket is the session's secrets encrypted with a key
// of the server's, held by the client so that its next connection resumes
// without a full handshake. Whoever gets the key later can decrypt every
// ticket issued with it, and from it the traffic of those sessions, so the
// key's life bounds the forward secrecy of resumed sessions. crypto/tls's
// own keys live seven days; ServeTLS replaces them with keys made at
// random in memory (never written anywhere), rotated every
// TicketKeyRotation: a new key encrypts, the previous one still decrypts,
// so a ticket resumes for at least one period and at most two, and a key
// is forgotten (overwritten) two periods after it was made.

// TicketKeyRotation is how often ServeTLS makes a new session ticket key.
const TicketKeyRotation = 12 * time.Hour

// ticketKeys rotates the session ticket keys of one listener
// configuration. The timer holds no goroutine between rotations.
type ticketKeys struct {
	cfg *tls.Config

	mu      sync.Mutex
	keys    [2][32]byte // the current key, then the previous one
	timer   *time.Timer
	stopped bool
}

// rotateTickets gives cfg fresh keys and rotates them every period until
// stop. A configuration with its own key (SessionTicketKey) or without
// tickets is left alone.
func rotateTickets(cfg *tls.Config, period time.Duration) *ticketKeys {
	k := &ticketKeys{cfg: cfg}
	if cfg.SessionTicketsDisabled || cfg.SessionTicketKey != [32]byte{} {
		k.stopped = true
		return k
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	rand.Read(k.keys[0][:])
	cfg.SetSessionTicketKeys(k.keys[:1])
	k.timer = time.AfterFunc(period, func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		if !k.stopped {
			k.rotateLocked()
			k.timer.Reset(period)
		}
	})
	return k
}

// rotate makes a new current key; the current one becomes the previous
// one, and the previous one is forgotten.
func (k *ticketKeys) rotate() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rotateLocked()
}

func (k *ticketKeys) rotateLocked() {
	k.keys[1] = k.keys[0]
	rand.Read(k.keys[0][:])
	// SetSessionTicketKeys copies the keys (and derives its own from
	// them): k.keys may change under it afterwards.
	k.cfg.SetSessionTicketKeys(k.keys[:])
}

// stop ends the rotation and forgets the keys here; crypto/tls keeps its
// derived copy while the configuration is in use.
func (k *ticketKeys) stop() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.stopped = true
	if k.timer != nil {
		k.timer.Stop()
	}
	k.keys = [2][32]byte{}
}
