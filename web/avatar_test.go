package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// postProfile sends the account page's profile form (multipart) as a
// browser would, with an avatar file when name is set.
func (e *testEnv) postProfile(c *http.Client, fields map[string]string, name string, content []byte) *http.Response {
	e.t.Helper()
	field := ""
	if name != "" {
		field = "avatar"
	}
	ct, body := multipartForm(e.t, fields, field, name, content)
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/account/profile", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", e.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(c, req)
}

// TestAccountAvatarForm: the profile form is multipart and takes an
// avatar; a file that is not an image is refused with the other fields'
// problems and nothing saved; a PNG is saved, served, shown on the public
// profile (alt empty: the name is the heading beside it) and on the
// account page with a remove option, which removes it; a cross-site POST
// changes nothing.
func TestAccountAvatarForm(t *testing.T) {
	e := newEnv(t)
	e.Store.SetDataDir(t.TempDir())
	ctx := context.Background()
	e.user("alice", models.RoleMember)
	c := e.loggedIn("alice")
	body := readBody(e.get(c, "/account"))
	for _, want := range []string{`enctype="multipart/form-data"`, `id="f-avatar"`, `type="file"`, `accept="image/png,image/jpeg,image/webp"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the account page lacks %s", want)
		}
	}
	if strings.Contains(body, `name="remove_avatar"`) {
		t.Error("a remove option without an avatar")
	}

	long := strings.Repeat("n", models.MaxDisplayName+1)
	res := e.postProfile(c, map[string]string{"display_name": long, "bio": ""}, "me.png", []byte("%PDF-1.7\n%%EOF\n"))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a PDF as avatar: status %d, want 422", res.StatusCode)
	}
	body = readBody(res)
	for _, want := range []string{`href="#f-avatar"`, `href="#f-display_name"`, "Only PNG, JPEG and WebP images are accepted."} {
		if !strings.Contains(body, want) {
			t.Errorf("the refused form lacks %s", want)
		}
	}

	pic := tinyPNG(t)
	res = e.postProfile(c, map[string]string{"display_name": "Alice Martin", "bio": "Hi."}, "me.png", pic)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("avatar: status %d: %s", res.StatusCode, readBody(res))
	}
	acc, err := e.Store.AccountByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	icon := acc.Actor.IconURL
	if acc.AvatarID == nil || !strings.HasPrefix(icon, e.URL+"/media/") || acc.Actor.Name != "Alice Martin" {
		t.Fatalf("saved: avatar %v, icon %q, name %q", acc.AvatarID, icon, acc.Actor.Name)
	}
	img := e.get(e.client(), strings.TrimPrefix(icon, e.URL))
	if img.StatusCode != http.StatusOK || img.Header.Get("Content-Type") != "image/png" || readBody(img) != string(pic) {
		t.Errorf("GET the avatar: %d %s", img.StatusCode, img.Header.Get("Content-Type"))
	}
	body = readBody(e.get(e.client(), "/@alice"))
	if !strings.Contains(body, `<img class="avatar" src="`+icon+`" alt=""`) {
		t.Errorf("the public profile does not show the avatar:\n%s", body)
	}
	body = readBody(e.get(c, "/account"))
	if !strings.Contains(body, `src="`+icon+`" alt="Your current avatar"`) || !strings.Contains(body, `name="remove_avatar"`) {
		t.Errorf("the account page does not show the avatar and its remove option:\n%s", body)
	}

	// A profile saved without a new file keeps the avatar.
	if res := e.postProfile(c, map[string]string{"display_name": "Alice M.", "bio": "Hi."}, "", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("profile without a file: status %d", res.StatusCode)
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "alice"); acc.Actor.IconURL != icon {
		t.Errorf("saving the profile without a file changed the icon to %q", acc.Actor.IconURL)
	}

	ct, mb := multipartForm(t, map[string]string{"display_name": "Evil", "remove_avatar": "true"}, "", "", nil)
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/account/profile", mb)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Origin", "http://evil.example")
	if res := e.do(c, req); res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: status %d, want 403", res.StatusCode)
	}

	if res := e.postProfile(c, map[string]string{"display_name": "Alice M.", "bio": "Hi.", "remove_avatar": "true"}, "", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: status %d", res.StatusCode)
	}
	if acc, _ := e.Store.AccountByUsername(ctx, "alice"); acc.AvatarID != nil || acc.Actor.IconURL != "" {
		t.Errorf("after removal: avatar %v, icon %q", acc.AvatarID, acc.Actor.IconURL)
	}
	if res := e.get(e.client(), strings.TrimPrefix(icon, e.URL)); res.StatusCode != http.StatusNotFound {
		t.Errorf("the removed avatar is still served: %d", res.StatusCode)
	}
	if body := readBody(e.get(e.client(), "/@alice")); strings.Contains(body, `class="avatar"`) {
		t.Error("the public profile still shows an avatar")
	}
}

// TestAPIAvatar: POST /api/v1/account/avatar sets it (avatar_url in the
// account), DELETE removes it; a file that is not an image is a 422 on
// avatar.
func TestAPIAvatar(t *testing.T) {
	e := newEnv(t)
	e.Store.SetDataDir(t.TempDir())
	e.user("alice", models.RoleMember)
	tok := e.token("alice")
	var acc struct {
		AvatarURL *string `json:"avatar_url"`
	}
	if res := e.api("GET", "/api/v1/account", tok, nil, &acc); res.StatusCode != 200 || acc.AvatarURL != nil {
		t.Fatalf("GET account: %d, avatar_url %v", res.StatusCode, acc.AvatarURL)
	}
	if res := e.api("POST", "/api/v1/account/avatar", tok, multipartFile{"avatar", "a.png", tinyPNG(t)}, &acc); res.StatusCode != 200 ||
		acc.AvatarURL == nil || !strings.HasPrefix(*acc.AvatarURL, e.URL+"/media/") {
		t.Fatalf("POST avatar: %d, avatar_url %v", res.StatusCode, acc.AvatarURL)
	}
	var errBody struct{ Fields map[string]string }
	if res := e.api("POST", "/api/v1/account/avatar", tok, multipartFile{"avatar", "a.png", []byte("<svg onload=alert(1)>")}, &errBody); res.StatusCode != 422 || errBody.Fields["avatar"] == "" {
		t.Errorf("POST an SVG: %d, %v", res.StatusCode, errBody.Fields)
	}
	if res := e.api("DELETE", "/api/v1/account/avatar", tok, nil, &acc); res.StatusCode != 200 || acc.AvatarURL != nil {
		t.Errorf("DELETE avatar: %d, avatar_url %v", res.StatusCode, acc.AvatarURL)
	}
}
