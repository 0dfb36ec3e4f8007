package models

import (
	"context"
	"errors"
	"io"

	"github.com/uptrace/bun"
)

// MaxAvatarSize bounds an avatar (2 MB): peers fetch it for every
// follower's view, and a profile picture needs no more.
const MaxAvatarSize = 2 << 20

// avatarRule accepts only images: an avatar is shown inline everywhere.
var avatarRule = uploadRule{max: MaxAvatarSize, types: []string{TypePNG, TypeJPEG, TypeWebP},
	wrongType: "Only PNG, JPEG and WebP images are accepted.", tooBig: "The image is larger than 2 MB."}

// SetAvatar makes the image read from r the member's avatar, replacing
// the previous one: EditAccount with only Avatar.
func (s *Store) SetAvatar(ctx context.Context, acc *Account, name string, r io.Reader) (*Account, error) {
	return s.EditAccount(ctx, acc, AccountEdit{Avatar: &AvatarFile{Name: name, R: r}})
}

// RemoveAvatar deletes the member's avatar, file and record; the actor
// has no icon any more, and followers are told. Without an avatar it
// changes nothing.
func (s *Store) RemoveAvatar(ctx context.Context, acc *Account) (*Account, error) {
	return s.EditAccount(ctx, acc, AccountEdit{RemoveAvatar: true})
}

// receiveAvatar stores the image of f through the uploads' pipeline (type
// sniffed, not taken from the name; metadata stripped; at most
// MaxAvatarSize) and returns its record, not yet inserted, or the
// refusal on the field "avatar". The upload will belong to no space
// (SpaceID 0), so it can never be chosen as a space's banner or document.
func (s *Store) receiveAvatar(f *AvatarFile) (*Upload, error) {
	u, err := s.receiveAndStore(f.R, f.Name, avatarRule)
	var ve *ValidationError
	if errors.As(err, &ve) {
		return nil, Invalid("avatar", ve.Fields["file"])
	}
	return u, err
}

// swapAvatar makes u the account's avatar in tx, or none when remove (u
// nil and not remove: the avatar stays), inserting u's record and
// pointing the actor's icon to it. It reports whether anything changed,
// and returns the previous avatar, whose record it deleted: the caller
// removes its file once tx is committed.
func (s *Store) swapAvatar(ctx context.Context, tx bun.Tx, cur *Account, actor *Actor, remove bool, u *Upload) (*Upload, bool, error) {
	if u == nil && (!remove || cur.AvatarID == nil) {
		return nil, false, nil
	}
	old, err := takeAvatar(ctx, tx, cur)
	if err != nil {
		return nil, false, err
	}
	var id *int64
	iconURL, iconType := "", ""
	if u != nil {
		u.SpaceID, u.AccountID = 0, &cur.ID
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return nil, false, dbErr("insert avatar", err)
		}
		id, iconURL, iconType = &u.ID, s.URLs.Base+u.Path(), u.ContentType
	}
	if _, err := tx.NewUpdate().Model((*Account)(nil)).Set("avatar_id = ?", id).Where("id = ?", cur.ID).Exec(ctx); err != nil {
		return nil, false, dbErr("set avatar", err)
	}
	_, err = tx.NewUpdate().Model((*Actor)(nil)).Where("id = ?", actor.ID).
		Set("icon_url = ?", iconURL).Set("icon_media_type = ?", iconType).Exec(ctx)
	if err != nil {
		return nil, false, dbErr("set actor icon", err)
	}
	return old, true, nil
}

// takeAvatar deletes the record of acc's avatar in tx and returns it (nil
// without one), for its file to be removed after the commit. The
// account's avatar_id is left to the caller.
func takeAvatar(ctx context.Context, tx bun.IDB, acc *Account) (*Upload, error) {
	if acc.AvatarID == nil {
		return nil, nil
	}
	old := new(Upload)
	if err := tx.NewSelect().Model(old).Where("id = ?", *acc.AvatarID).Scan(ctx); err != nil {
		if err := dbErr("avatar", err); errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, dbErr("avatar", err)
	}
	if _, err := tx.NewDelete().Model((*Upload)(nil)).Where("id = ?", old.ID).Exec(ctx); err != nil {
		return nil, dbErr("delete avatar", err)
	}
	return old, nil
}
