package web

import (
	"log/slog"
	"time"
)

func strAttr(k, v string) slog.Attr               { return slog.String(k, v) }
func intAttr(k string, v int) slog.Attr           { return slog.Int(k, v) }
func durAttr(k string, v time.Duration) slog.Attr { return slog.Duration(k, v) }

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}
