// Command odn runs an Open Democracy Now instance: the web site, the JSON
// API and ActivityPub federation in one binary. See `odn help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/opendemocracynow/odn/cmd/odn/cli"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Run(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Version: version,
	}))
}
