package server

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"sync/atomic"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
)

// countingConn counts the writes that reach the plain connection.
type countingConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestTLSWatchedGathersRecords checks that a watched TLS connection's
// write longer than one record reaches the socket in one write per four
// records, not one per record, and that the client gets every byte in
// order; a write of one record goes as it is.
func TestTLSWatchedGathersRecords(t *testing.T) {
	ca := testutil.NewCA(t)
	kp := ca.KeyPair(t, "localhost")
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		a, b := net.Pipe()
		cc := &countingConn{Conn: a}
		tcn := &tlsConn{hj: cc}
		tcn.tc = tls.Server(tcn, &tls.Config{Certificates: []tls.Certificate{kp}, MinVersion: version, MaxVersion: version})
		w := &tlsWatched{Conn: tcn.tc, t: tcn}
		client := tls.Client(b, &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"})
		hs := make(chan error, 1)
		go func() { hs <- client.Handshake() }()
		if err := tcn.tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		if err := <-hs; err != nil {
			t.Fatal(err)
		}
		// crypto/tls starts with records of one packet, growing; past
		// its first 128 KiB they are full.
		warm := make(chan error, 1)
		go func() { _, err := io.CopyN(io.Discard, client, 256<<10); warm <- err }()
		if _, err := w.Write(make([]byte, 256<<10)); err != nil {
			t.Fatal(err)
		}
		if err := <-warm; err != nil {
			t.Fatal(err)
		}
		const rec = tlsRecordPayload
		cases := []struct {
			name   string
			size   int
			writes int64
		}{
			{"short", 100, 1},
			{"one record", rec, 1},
			{"one record and a byte", rec + 1, 1},
			{"four records", 4 * rec, 1},
			{"an h2 batch with its head", 4*rec + 300, 1},
			{"five records", 5 * rec, 2},
			{"thirteen records", 13 * rec, 4},
		}
		for _, tc := range cases {
			data := bytes.Repeat([]byte{byte(tc.size)}, tc.size)
			for i := range data {
				data[i] = byte(i * 7)
			}
			got := make(chan []byte, 1)
			go func() {
				p := make([]byte, tc.size)
				io.ReadFull(client, p)
				got <- p
			}()
			before := cc.writes.Load()
			n, err := w.Write(data)
			if n != tc.size || err != nil {
				t.Fatalf("%x %s: Write = %d, %v", version, tc.name, n, err)
			}
			if !bytes.Equal(<-got, data) {
				t.Fatalf("%x %s: the client got other bytes", version, tc.name)
			}
			if k := cc.writes.Load() - before; k != tc.writes {
				t.Errorf("%x %s: %d writes to the socket, want %d", version, tc.name, k, tc.writes)
			}
			if tcn.gathered != nil || tcn.gathering {
				t.Errorf("%x %s: a buffer is kept after the write", version, tc.name)
			}
		}
		a.Close()
		b.Close()
	}
}
