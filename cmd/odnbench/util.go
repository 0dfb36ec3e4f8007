package main

import (
	"fmt"
	"os"
	"time"
)

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o750) }

var phaseStart = time.Now()

// phase logs progress on stderr (stdout carries only the figures).
func phase(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "odnbench: %6.1fs %s\n", time.Since(phaseStart).Seconds(), fmt.Sprintf(format, a...))
}
