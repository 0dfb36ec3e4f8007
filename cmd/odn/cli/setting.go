package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	adminCommands["setting"] = map[string]func(ctx context.Context, args []string, env Env) error{
		"get": adminSettingGet,
		"set": adminSettingSet,
	}
}

// adminSettingGet prints an instance setting (registration, instance_name,
// rules), or its effective default when none is stored.
func adminSettingGet(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin setting get", args, env, nil, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		key, err := oneName(fs, "setting name")
		if err != nil {
			return err
		}
		def, ok := st.SettingDefault(key)
		if !ok {
			names := []string{}
			for _, k := range st.KnownSettings() {
				names = append(names, k.Key)
			}
			return fmt.Errorf("unknown setting %q: use one of %s", key, strings.Join(names, ", "))
		}
		v, err := st.Setting(ctx, key, def)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, v)
		return nil
	})
}

// adminSettingSet sets an instance setting, audited; with --stdin the
// value is read from standard input (the rules shown on /about, in
// Markdown).
func adminSettingSet(ctx context.Context, args []string, env Env) error {
	var fromStdin bool
	return dbCommand(ctx, "admin setting set", args, env, func(fs *flagSet) {
		fs.BoolVar(&fromStdin, "stdin", false, "read the value from standard input")
	}, func(ctx context.Context, st *models.Store, _ *Config, fs *flagSet) error {
		a := fs.Args()
		if (fromStdin && len(a) != 1) || (!fromStdin && len(a) != 2) {
			return usagef("usage: odn admin setting set KEY VALUE | odn admin setting set KEY --stdin")
		}
		value := ""
		if fromStdin {
			b, err := io.ReadAll(io.LimitReader(env.Stdin, 64<<10))
			if err != nil {
				return fmt.Errorf("read value: %w", err)
			}
			value = strings.TrimSpace(string(b))
		} else {
			value = a[1]
		}
		if err := st.SetSetting(ctx, nil, a[0], value); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s set\n", a[0])
		return nil
	})
}
