package websocket_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire/wsframe"
)

// serve runs h on a Brick server on a free port, in both connection
// models when perConn says so, and returns its address.
func serve(t testing.TB, h web.Handler) string {
	t.Helper()
	return loopback.Serve(t, &server.Server{Handler: h})
}

// rawClient is a minimal WebSocket client built on wsframe, masking as a
// client must (or not, when a test breaks the rules on purpose).
type rawClient struct {
	t    testing.TB
	nc   net.Conn
	br   *bufio.Reader
	resp *http.Response
	p    wsframe.Parser
}

// dialRaw opens a connection and sends a handshake with extra header lines
// (each "Name: value"); it fails the test unless the answer is 101.
func dialRaw(t testing.TB, addr, path string, extra ...string) *rawClient {
	t.Helper()
	c := dialHandshake(t, addr, path, extra...)
	if c.resp.StatusCode != 101 {
		t.Fatalf("handshake answered %s", c.resp.Status)
	}
	return c
}

func dialHandshake(t testing.TB, addr, path string, extra ...string) *rawClient {
	t.Helper()
	return handshakeOver(t, dialTCP(t, addr), addr, path, extra...)
}

// dialTCP connects to addr, closed at the test's end.
func dialTCP(t testing.TB, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// handshakeOver sends the handshake over nc and reads the answer.
func handshakeOver(t testing.TB, nc net.Conn, addr, path string, extra ...string) *rawClient {
	t.Helper()
	var err error
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	var key [16]byte
	rand.Read(key[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + base64.StdEncoding.EncodeToString(key[:]) + "\r\nSec-WebSocket-Version: 13\r\n"
	for _, e := range extra {
		req += e + "\r\n"
	}
	if _, err := io.WriteString(nc, req+"\r\n"); err != nil {
		t.Fatal(err)
	}
	c := &rawClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	c.resp, err = http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// frame sends one frame, masked unless unmasked.
func (c *rawClient) frame(fin bool, rsv byte, op wsframe.Opcode, payload []byte, unmasked bool) {
	c.t.Helper()
	h := wsframe.Header{Fin: fin, Rsv: rsv, Op: op, Masked: !unmasked, Length: int64(len(payload))}
	rand.Read(h.Mask[:])
	p := append([]byte(nil), payload...)
	if !unmasked {
		wsframe.Mask(h.Mask, 0, p)
	}
	if _, err := c.nc.Write(append(wsframe.AppendHeader(nil, h), p...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) send(op wsframe.Opcode, payload string) {
	c.t.Helper()
	c.frame(true, 0, op, []byte(payload), false)
}

// next reads one frame from the server.
func (c *rawClient) next() (wsframe.Header, []byte, error) {
	b, err := c.br.Peek(2)
	if err != nil {
		return wsframe.Header{}, nil, err
	}
	if b, err = c.br.Peek(wsframe.HeaderLen(b[1])); err != nil {
		return wsframe.Header{}, nil, err
	}
	h, n, err := c.p.ParseHeader(b)
	if err != nil {
		return h, nil, err
	}
	c.br.Discard(n)
	p := make([]byte, h.Length)
	_, err = io.ReadFull(c.br, p)
	return h, p, err
}

// closeCode reads frames until the server's close frame, answers it, and
// returns its code (CloseNoStatus for an empty one), checking that the
// server then closes the connection.
func (c *rawClient) closeCode() int {
	c.t.Helper()
	for {
		h, p, err := c.next()
		if err != nil {
			c.t.Fatalf("reading until the close frame: %v", err)
		}
		if h.Op != wsframe.OpClose {
			continue
		}
		code, _, err := wsframe.ParseClose(p)
		if err != nil {
			c.t.Fatalf("the server's close frame: %v", err)
		}
		// Answer as a client does (§5.5.1); after a violation the server
		// has closed already and the write may fail.
		h = wsframe.Header{Fin: true, Op: wsframe.OpClose, Masked: true, Length: int64(len(p))}
		wsframe.Mask(h.Mask, 0, p)
		c.nc.Write(append(wsframe.AppendHeader(nil, h), p...))
		// A reset counts: our answer may reach a socket already closed.
		if _, err := c.br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
			c.t.Errorf("after its close frame the server did not close the connection: %v", err)
		}
		return code
	}
}

// readData reads frames until a data frame and returns its payload,
// inflated when compressed.
func (c *rawClient) readData() (wsframe.Opcode, string) {
	c.t.Helper()
	for {
		h, p, err := c.next()
		if err != nil {
			c.t.Fatal(err)
		}
		if h.Op.IsControl() {
			continue
		}
		return h.Op, string(p)
	}
}

func header(resp *http.Response, name string) string {
	return strings.Join(resp.Header.Values(name), ", ")
}
