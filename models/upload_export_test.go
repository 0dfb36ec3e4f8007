package models

import (
	"context"

	"github.com/uptrace/bun"
)

// CheckBanner and CheckUpload expose the attach checks to
// TestAttachRacesPurge, which holds an attaching transaction open.
func CheckBanner(ctx context.Context, tx bun.IDB, spaceID int64, id *int64) error {
	return checkBanner(ctx, tx, spaceID, id)
}

func CheckUpload(ctx context.Context, tx bun.IDB, spaceID int64, id *int64) error {
	return checkUpload(ctx, tx, spaceID, id, "file")
}
