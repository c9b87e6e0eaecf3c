package procpool

import (
	"bufio"
	"os"
	"time"
)

// maxLine is the longest line handed to Spec.Output in one piece. It
// bounds the memory a child can make us hold by never writing a newline.
const maxLine = 64 << 10

// pump reads one of the child's output pipes line by line until end of
// file or the read deadline that supervise sets after reaping.
func (p *Process) pump(f *os.File) {
	r := bufio.NewReaderSize(activityReader{f: f, p: p}, maxLine)
	split := false // the previous piece was a full buffer without a newline
	for {
		line, err := r.ReadSlice('\n')
		// A newline right after a split piece ends a line that has been
		// delivered already; passing it on would invent an empty line.
		if len(line) > 0 && !(split && len(line) == 1 && line[0] == '\n') {
			if line[len(line)-1] == '\n' {
				line = line[:len(line)-1]
			}
			p.deliver(line)
		}
		split = err == bufio.ErrBufferFull
		if err != nil && !split {
			return
		}
	}
}

func (p *Process) deliver(line []byte) {
	if p.output == nil {
		return
	}
	p.outMu.Lock()
	defer p.outMu.Unlock()
	p.output(line)
}

// activityReader notes the time of every read that returns data, for
// WaitQuiet. It counts bytes, not lines: a stack dump in progress is
// activity even before its first newline.
type activityReader struct {
	f *os.File
	p *Process
}

func (a activityReader) Read(b []byte) (int, error) {
	n, err := a.f.Read(b)
	if n > 0 {
		a.p.lastIO.Store(int64(time.Since(a.p.start)))
	}
	return n, err
}
