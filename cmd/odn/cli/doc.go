// Package cli is odn's command line: it parses flags and their ODN_*
// environment twins into a Config, and runs the subcommands (serve,
// migrate, admin, export, version). It is the only place that wires
// models, web and federation together, and it runs whole instances
// in-process for the multi-instance federation tests.
package cli
