package cgi

import (
	"bufio"
	"errors"
	"io"
	"os"
)

// Bounds on what one run's standard error puts in the log: a script that
// writes megabytes of errors must not flood it. What is past them is
// counted and said in one line.
const (
	maxStderrLines = 100
	maxStderrLine  = 1 << 10
)

// logStderr logs each line of a script's standard error, with the
// script's name, until the script and what it started close it (or the
// read deadline passes); then it closes r and done.
func (h *Handler) logStderr(r *os.File, name string, done chan<- struct{}) {
	defer close(done)
	defer r.Close()
	br := bufio.NewReaderSize(r, maxStderrLine)
	lines, dropped := 0, int64(0)
	long := false // inside a line longer than the buffer, past its start
	for {
		line, err := br.ReadSlice('\n')
		switch {
		case len(line) == 0:
		case long:
			dropped += int64(len(line))
		case lines >= maxStderrLines:
			dropped += int64(len(line))
		default:
			lines++
			text := string(trimEOL(line))
			if errors.Is(err, bufio.ErrBufferFull) {
				text += " [line cut]"
			}
			h.log.Warn("cgi: script stderr", "script", name, "line", text)
		}
		long = errors.Is(err, bufio.ErrBufferFull)
		if err != nil && !long {
			if !errors.Is(err, io.EOF) {
				h.log.Warn("cgi: reading the script's stderr stopped", "script", name, "err", err)
			}
			break
		}
	}
	if dropped > 0 {
		h.log.Warn("cgi: script stderr past the log's bound dropped", "script", name, "logged_lines", lines, "dropped_bytes", dropped)
	}
}

// trimEOL removes a trailing LF or CRLF.
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
