package cli

import (
	"flag"
	"strings"
)

// flagSet is a flag.FlagSet that also accepts flags after positional
// arguments (`odn admin user create alice --admin`), as people type them.
type flagSet struct {
	*flag.FlagSet
	positional []string
}

// Args returns the positional arguments, wherever they stood.
func (f *flagSet) Args() []string { return append(f.positional, f.FlagSet.Args()...) }

// interleave moves positional arguments out of args so that flag parsing
// sees every flag; it understands "--" and flags that take a value.
func interleave(fs *flag.FlagSet, args []string) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name := a[1:]
		if name != "" && name[0] == '-' {
			name = name[1:]
		}
		if strings.Contains(name, "=") {
			continue
		}
		if f := fs.Lookup(name); f != nil {
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	return flags, positional
}
