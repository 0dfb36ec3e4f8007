package models_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// avatarUpdates counts the pending account.updated events.
func avatarUpdates(t *testing.T, s *models.Store) int {
	t.Helper()
	evs, err := s.PendingEvents(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Kind == models.EventAccountUpdated {
			n++
		}
	}
	return n
}

// TestAvatarRefused: an avatar is an image (sniffed: a PDF or an SVG
// named .png is refused) of at most 2 MB; a refusal leaves no file, no
// row, no icon and no event.
func TestAvatarRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		s.SetDataDir(dir)
		ann, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, msg string
			data      io.Reader
		}{
			{"me.png", "Only PNG, JPEG and WebP images are accepted.", bytes.NewReader(uploadPDF)},
			{"me.png", "Only PNG, JPEG and WebP images are accepted.", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
			{"me.png", "The image is larger than 2 MB.", io.MultiReader(bytes.NewReader(uploadPNG), bytes.NewReader(make([]byte, models.MaxAvatarSize)))},
			{"me.png", "The file is empty.", bytes.NewReader(nil)},
			{"me.png", "The image is damaged or incomplete.", bytes.NewReader(uploadPNG[:len(uploadPNG)-20])},
		} {
			_, err := s.SetAvatar(ctx, ann, tc.name, tc.data)
			var ve *models.ValidationError
			if !errors.As(err, &ve) || ve.Fields["avatar"] != tc.msg {
				t.Errorf("%s: got %v, want %q", tc.msg, err, tc.msg)
			}
		}
		// A valid image after the refusals, then removed: nothing stays.
		if _, err := s.SetAvatar(ctx, ann, "ok.png", bytes.NewReader(uploadPNG)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RemoveAvatar(ctx, ann); err != nil {
			t.Fatal(err)
		}
		if files := storedFiles(t, dir); len(files) != 0 {
			t.Errorf("files left: %v", files)
		}
		if n, err := s.DB.NewSelect().Table("uploads").Count(ctx); err != nil || n != 0 {
			t.Errorf("%d upload rows left (%v)", n, err)
		}
		if _, err := s.SetAvatar(ctx, nil, "a.png", bytes.NewReader(uploadPNG)); !errors.Is(err, models.ErrUnauthorized) {
			t.Errorf("no account: %v", err)
		}
	})
}

// TestAvatarSetReplaceRemove: an avatar is stored without its metadata,
// the Person actor's icon points to it, a new one replaces it (the old
// file and row are gone), removing it clears the icon; each change emits
// account.updated, removing none changes nothing. The upload belongs to no
// space, so it cannot become a space's banner.
func TestAvatarSetReplaceRemove(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		s.SetDataDir(dir)
		ann, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		withMeta, stripped := imagemetatest.JPEGWithMetadata(1)
		ann, err = s.SetAvatar(ctx, ann, "holiday.jpeg", bytes.NewReader(withMeta))
		if err != nil {
			t.Fatal(err)
		}
		if ann.AvatarID == nil {
			t.Fatal("no avatar_id")
		}
		first, err := s.UploadByID(ctx, *ann.AvatarID)
		if err != nil {
			t.Fatal(err)
		}
		if first.SpaceID != 0 || first.AccountID == nil || *first.AccountID != ann.ID || first.ContentType != models.TypeJPEG {
			t.Errorf("avatar upload %+v", first)
		}
		if want := s.URLs.Base + first.Path(); ann.Actor.IconURL != want || ann.Actor.IconMediaType != models.TypeJPEG {
			t.Errorf("icon %q %q, want %q image/jpeg", ann.Actor.IconURL, ann.Actor.IconMediaType, want)
		}
		_, f, err := s.OpenUpload(ctx, first.Key)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(got, stripped) {
			t.Error("the avatar kept its metadata")
		}
		if n := avatarUpdates(t, s); n != 1 {
			t.Errorf("%d account.updated events after setting, want 1", n)
		}

		ann, err = s.SetAvatar(ctx, ann, "new.webp", bytes.NewReader(uploadWebP))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.OpenUpload(ctx, first.Key); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("the replaced avatar is still served: %v", err)
		}
		if files := storedFiles(t, dir); len(files) != 1 {
			t.Errorf("after replacing, files %v, want the new one only", files)
		}
		second, err := s.UploadByID(ctx, *ann.AvatarID)
		if err != nil || ann.Actor.IconURL != s.URLs.Base+second.Path() || ann.Actor.IconMediaType != models.TypeWebP {
			t.Errorf("replaced icon %q %q (%v)", ann.Actor.IconURL, ann.Actor.IconMediaType, err)
		}
		if n := avatarUpdates(t, s); n != 2 {
			t.Errorf("%d account.updated events after replacing, want 2", n)
		}

		ann, err = s.RemoveAvatar(ctx, ann)
		if err != nil {
			t.Fatal(err)
		}
		if ann.AvatarID != nil || ann.Actor.IconURL != "" || ann.Actor.IconMediaType != "" {
			t.Errorf("after removal: avatar %v icon %q %q", ann.AvatarID, ann.Actor.IconURL, ann.Actor.IconMediaType)
		}
		if files := storedFiles(t, dir); len(files) != 0 {
			t.Errorf("after removal, files %v", files)
		}
		if _, err := s.RemoveAvatar(ctx, ann); err != nil {
			t.Fatal(err)
		}
		if n := avatarUpdates(t, s); n != 3 {
			t.Errorf("%d account.updated events after removing twice, want 3", n)
		}
	})
}

// TestAvatarErased: erasing the account deletes its avatar's file and
// row and empties the reference and the icon; before, the data download
// holds the reference (accounts.avatar_id and the uploads row).
func TestAvatarErased(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		s.SetDataDir(dir)
		zoe, err := s.CreateAccount(ctx, models.NewAccount{Username: "zoe", Password: "long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		if zoe, err = s.SetAvatar(ctx, zoe, "zoe.png", bytes.NewReader(uploadPNG)); err != nil {
			t.Fatal(err)
		}
		up, err := s.UploadByID(ctx, *zoe.AvatarID)
		if err != nil {
			t.Fatal(err)
		}
		data, err := s.AccountExport(ctx, zoe)
		if err != nil {
			t.Fatal(err)
		}
		if acc := data.Tables["accounts"]; len(acc) != 1 || acc[0]["avatar_id"] == nil {
			t.Errorf("the download's account has no avatar_id: %v", acc)
		}
		if ups := data.Tables["uploads"]; len(ups) != 1 || ups[0]["key"] != up.Key {
			t.Errorf("the download's uploads: %v", ups)
		}
		if acts := data.Tables["actors"]; len(acts) != 1 || acts[0]["icon_url"] != zoe.Actor.IconURL {
			t.Errorf("the download's actor: %v", acts)
		}
		path := storedFiles(t, dir)
		if len(path) != 1 {
			t.Fatalf("files %v", path)
		}

		if err := s.DeleteAccount(ctx, zoe); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path[0]); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the avatar's file survives erasure: %v", err)
		}
		if n, err := s.DB.NewSelect().Table("uploads").Count(ctx); err != nil || n != 0 {
			t.Errorf("%d upload rows survive erasure (%v)", n, err)
		}
		acc := new(models.Account)
		if err := s.DB.NewSelect().Model(acc).Where("id = ?", zoe.ID).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		actor, err := s.ActorByID(ctx, zoe.Actor.ID)
		if err != nil {
			t.Fatal(err)
		}
		if acc.AvatarID != nil || actor.IconURL != "" || actor.IconMediaType != "" {
			t.Errorf("after erasure: avatar_id %v, icon %q %q", acc.AvatarID, actor.IconURL, actor.IconMediaType)
		}
	})
}

// TestAvatarWithProfileErrors: a refused avatar is told with the other
// fields' problems, and a refused edit saves nothing, not even a valid
// avatar sent with an invalid name.
func TestAvatarWithProfileErrors(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		s.SetDataDir(dir)
		ann, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		long := strings.Repeat("n", models.MaxDisplayName+1)
		_, err = s.EditAccount(ctx, ann, models.AccountEdit{DisplayName: &long, Avatar: &models.AvatarFile{Name: "a.pdf", R: bytes.NewReader(uploadPDF)}})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["display_name"] == "" || ve.Fields["avatar"] == "" {
			t.Errorf("got %v, want display_name and avatar problems", err)
		}
		_, err = s.EditAccount(ctx, ann, models.AccountEdit{DisplayName: &long, Avatar: &models.AvatarFile{Name: "a.png", R: bytes.NewReader(uploadPNG)}})
		if !errors.As(err, &ve) || ve.Fields["display_name"] == "" {
			t.Errorf("got %v, want a display_name problem", err)
		}
		if files := storedFiles(t, dir); len(files) != 0 {
			t.Errorf("refused edits left files: %v", files)
		}
		if n := avatarUpdates(t, s); n != 0 {
			t.Errorf("%d account.updated events after refusals", n)
		}
	})
}
