package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	adminCommands["uploads"] = map[string]func(ctx context.Context, args []string, env Env) error{"strip": adminUploadsStrip}
}

// errNotAllStripped makes `odn admin uploads strip` exit 1 after its
// report when some image could not be stripped.
var errNotAllStripped = errors.New("some images could not be stripped")

// adminUploadsStrip removes the metadata of the images stored before odn
// stripped them at upload (models.Store.StripStoredImages), in place;
// running it again changes nothing. Exit code 0: every image is stripped;
// 1: some could not be (each is named), the others were.
func adminUploadsStrip(ctx context.Context, args []string, env Env) error {
	return dbCommand(ctx, "admin uploads strip", args, env, nil, func(ctx context.Context, st *models.Store, cfg *Config, fs *flagSet) error {
		if len(fs.Args()) != 0 {
			return usagef("odn admin uploads strip takes no argument")
		}
		st.SetDataDir(cfg.Data)
		checked, changed, failed, err := st.StripStoredImages(ctx)
		if err != nil {
			return fmt.Errorf("strip stored images: %w", err)
		}
		for _, f := range failed {
			fmt.Fprintf(env.Stderr, "not stripped: %v\n", f)
		}
		fmt.Fprintf(env.Stdout, "%d images checked, %d stripped of their metadata, %d left as they were\n", checked, changed, len(failed))
		if len(failed) > 0 {
			return errNotAllStripped
		}
		return nil
	})
}
