package coordinator

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
)

// hclogAdapter lets hashicorp/raft log through the coordinator's
// *slog.Logger, so raft's lines share the process's handler and format.
type hclogAdapter struct {
	l       *slog.Logger
	name    string
	implied []any
	level   *atomic.Int32 // an hclog.Level; below it nothing is logged
}

// newHCLogger returns an hclog.Logger writing to l.
func newHCLogger(l *slog.Logger, name string) hclog.Logger {
	lv := &atomic.Int32{}
	lv.Store(int32(hclog.Trace))
	return &hclogAdapter{l: l, name: name, level: lv}
}

// slogLevel maps an hclog level onto slog's scale.
func slogLevel(l hclog.Level) slog.Level {
	switch l {
	case hclog.Trace:
		return slog.LevelDebug - 4
	case hclog.Debug:
		return slog.LevelDebug
	case hclog.Warn:
		return slog.LevelWarn
	case hclog.Error:
		return slog.LevelError
	}
	return slog.LevelInfo
}

func (h *hclogAdapter) enabled(l hclog.Level) bool {
	if l == hclog.Off || l < hclog.Level(h.level.Load()) {
		return false
	}
	return h.l.Enabled(context.Background(), slogLevel(l))
}

// Log implements hclog.Logger.
func (h *hclogAdapter) Log(level hclog.Level, msg string, args ...any) {
	if !h.enabled(level) {
		return
	}
	if h.name != "" {
		args = append([]any{"logger", h.name}, args...)
	}
	h.l.Log(context.Background(), slogLevel(level), msg, formatArgs(args)...)
}

// formatArgs renders hclog.Fmt values (a format and its arguments, which
// raft uses for its configuration) as the strings hclog would print,
// instead of slog printing the raw slice.
func formatArgs(args []any) []any {
	var out []any // a copy, made at the first value to render
	for i, a := range args {
		f, ok := a.(hclog.Format)
		if !ok || len(f) == 0 {
			continue
		}
		format, ok := f[0].(string)
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(args)
		}
		out[i] = fmt.Sprintf(format, f[1:]...)
	}
	if out == nil {
		return args
	}
	return out
}

// Trace implements hclog.Logger.
func (h *hclogAdapter) Trace(msg string, args ...any) { h.Log(hclog.Trace, msg, args...) }

// Debug implements hclog.Logger.
func (h *hclogAdapter) Debug(msg string, args ...any) { h.Log(hclog.Debug, msg, args...) }

// Info implements hclog.Logger.
func (h *hclogAdapter) Info(msg string, args ...any) { h.Log(hclog.Info, msg, args...) }

// Warn implements hclog.Logger.
func (h *hclogAdapter) Warn(msg string, args ...any) { h.Log(hclog.Warn, msg, args...) }

// Error implements hclog.Logger.
func (h *hclogAdapter) Error(msg string, args ...any) { h.Log(hclog.Error, msg, args...) }

// IsTrace implements hclog.Logger.
func (h *hclogAdapter) IsTrace() bool { return h.enabled(hclog.Trace) }

// IsDebug implements hclog.Logger.
func (h *hclogAdapter) IsDebug() bool { return h.enabled(hclog.Debug) }

// IsInfo implements hclog.Logger.
func (h *hclogAdapter) IsInfo() bool { return h.enabled(hclog.Info) }

// IsWarn implements hclog.Logger.
func (h *hclogAdapter) IsWarn() bool { return h.enabled(hclog.Warn) }

// IsError implements hclog.Logger.
func (h *hclogAdapter) IsError() bool { return h.enabled(hclog.Error) }

// ImpliedArgs implements hclog.Logger.
func (h *hclogAdapter) ImpliedArgs() []any { return h.implied }

// With implements hclog.Logger.
func (h *hclogAdapter) With(args ...any) hclog.Logger {
	c := *h
	c.l = h.l.With(args...)
	c.implied = append(append([]any(nil), h.implied...), args...)
	return &c
}

// Name implements hclog.Logger.
func (h *hclogAdapter) Name() string { return h.name }

// Named implements hclog.Logger.
func (h *hclogAdapter) Named(name string) hclog.Logger {
	c := *h
	if h.name != "" {
		name = h.name + "." + name
	}
	c.name = name
	return &c
}

// ResetNamed implements hclog.Logger.
func (h *hclogAdapter) ResetNamed(name string) hclog.Logger {
	c := *h
	c.name = name
	return &c
}

// SetLevel implements hclog.Logger.
func (h *hclogAdapter) SetLevel(level hclog.Level) { h.level.Store(int32(level)) }

// GetLevel implements hclog.Logger.
func (h *hclogAdapter) GetLevel() hclog.Level { return hclog.Level(h.level.Load()) }

// StandardLogger implements hclog.Logger.
func (h *hclogAdapter) StandardLogger(*hclog.StandardLoggerOptions) *log.Logger {
	return slog.NewLogLogger(h.l.Handler(), slog.LevelInfo)
}

// StandardWriter implements hclog.Logger.
func (h *hclogAdapter) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	return h.StandardLogger(opts).Writer()
}
