package acme

import (
	"context"
	"log/slog"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// zapLogger is a zap logger writing to log: certmagic's messages end up
// in Brick's log, its info and warnings at slog's debug level and its
// errors as warnings. The Manager itself logs what an operator acts on
// (obtained, renewed, failed and why, at info and warning), which
// certmagic's warnings and errors would only repeat: a CA that cannot be
// reached gives three warnings and an error per attempt.
func zapLogger(log *slog.Logger) *zap.Logger {
	return zap.New(&slogCore{log: log})
}

// slogCore is a zapcore.Core over a slog.Logger.
type slogCore struct {
	log   *slog.Logger
	attrs []slog.Attr
}

var _ zapcore.Core = (*slogCore)(nil)

func slogLevel(l zapcore.Level) slog.Level {
	if l <= zapcore.WarnLevel {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return c.log.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	return &slogCore{log: c.log, attrs: append(append([]slog.Attr(nil), c.attrs...), attrs(fields)...)}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	as := append(append([]slog.Attr(nil), c.attrs...), attrs(fields)...)
	msg := e.Message
	if e.LoggerName != "" {
		msg = "certmagic " + e.LoggerName + ": " + msg
	} else {
		msg = "certmagic: " + msg
	}
	c.log.LogAttrs(context.Background(), slogLevel(e.Level), msg, as...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

// attrs turns zap fields into slog attributes, through zap's own map
// encoder (which knows every field type).
func attrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	out := make([]slog.Attr, 0, len(fields))
	for _, f := range fields {
		f.AddTo(enc)
		key := f.Key
		if v, ok := enc.Fields[key]; ok {
			out = append(out, slog.Any(strings.ReplaceAll(key, " ", "_"), v))
		}
	}
	return out
}
