package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

func TestCreateAccountValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "long enough pw"}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			in    models.NewAccount
			field string
		}{
			{"uppercase", models.NewAccount{Username: "Alice", Password: "long enough pw"}, "username"},
			{"too long", models.NewAccount{Username: strings.Repeat("a", 31), Password: "long enough pw"}, "username"},
			{"empty", models.NewAccount{Username: "", Password: "long enough pw"}, "username"},
			{"reserved", models.NewAccount{Username: "admin", Password: "long enough pw"}, "username"},
			{"punctuation", models.NewAccount{Username: "a.b", Password: "long enough pw"}, "username"},
			{"short password", models.NewAccount{Username: "bob", Password: "short"}, "password"},
			{"huge password", models.NewAccount{Username: "bob", Password: strings.Repeat("x", 300)}, "password"},
			{"bad email", models.NewAccount{Username: "bob", Password: "long enough pw", Email: "not an email"}, "email"},
			{"bad role", models.NewAccount{Username: "bob", Password: "long enough pw", Role: "king"}, "role"},
			{"taken", models.NewAccount{Username: "alice", Password: "long enough pw"}, "username"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateAccount(ctx, tt.in)
				var ve *models.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("want validation error, got %v", err)
				}
				if _, ok := ve.Fields[tt.field]; !ok {
					t.Fatalf("want error on %q, got %v", tt.field, ve.Fields)
				}
			})
		}
		accs, err := s.ListAccounts(ctx)
		if err != nil || len(accs) != 1 {
			t.Fatalf("only alice must exist, got %d accounts (%v)", len(accs), err)
		}
	})
}

func TestSharedNamespace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "lyon", Password: "long enough pw"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "lyon", Kind: models.KindCity}); err == nil {
			t.Fatal("a space took a user's name")
		}
		if _, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "paris", Kind: models.KindCity}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "paris", Password: "long enough pw"}); err == nil {
			t.Fatal("a user took a space's name")
		}
		if taken, _ := s.NameTaken(ctx, "paris"); !taken {
			t.Fatal("paris should be taken")
		}
	})
}

func TestConcurrentSignUpSameName(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 10 {
			wg.Go(func() {
				if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "race", Password: "long enough pw"}); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if ok != 1 {
			t.Fatalf("%d accounts named race were created, want 1", ok)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "alice", "correct horse"); err != nil {
			t.Fatalf("good password refused: %v", err)
		}
		if _, err := s.Authenticate(ctx, " Alice ", "correct horse"); err != nil {
			t.Fatalf("user name should be case- and space-insensitive: %v", err)
		}
		for _, c := range []struct{ user, pw string }{{"alice", "wrong horse"}, {"nobody", "correct horse"}, {"alice", ""}} {
			if _, err := s.Authenticate(ctx, c.user, c.pw); !errors.Is(err, models.ErrBadCredentials) {
				t.Errorf("%s/%s: want ErrBadCredentials, got %v", c.user, c.pw, err)
			}
		}
		if err := s.SetDisabled(ctx, nil, "alice", true, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Authenticate(ctx, "alice", "correct horse"); !errors.Is(err, models.ErrBadCredentials) {
			t.Fatalf("disabled account logged in: %v", err)
		}
	})
}

// TestLoginThrottle: wrong passwords are counted per name, known or not,
// and a name past the limit is refused, even with its right password,
// until its window ends; a log-in clears the count.
func TestLoginThrottle(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		for _, name := range []string{"alice", "bob"} {
			if _, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Password: "correct horse"}); err != nil {
				t.Fatal(err)
			}
		}
		fail := func(name string, n int) {
			t.Helper()
			for i := range n {
				if _, err := s.Authenticate(ctx, name, "wrong horse"); !errors.Is(err, models.ErrBadCredentials) {
					t.Fatalf("%s, wrong password %d: want ErrBadCredentials, got %v", name, i+1, err)
				}
			}
		}
		throttled := func(name, pw string, want time.Duration) {
			t.Helper()
			_, err := s.Authenticate(ctx, name, pw)
			var te *models.ThrottledError
			if !errors.As(err, &te) || !errors.Is(err, models.ErrThrottled) || te.RetryAfter != want {
				t.Fatalf("%s: want throttled for %v, got %v", name, want, err)
			}
		}
		start := now
		fail("alice", models.MaxLoginFailures-1)
		now = now.Add(10 * time.Minute)
		fail("alice", 1)
		throttled("alice", "correct horse", models.LoginFailureWindow-10*time.Minute)
		throttled("alice", "wrong horse", models.LoginFailureWindow-10*time.Minute)
		// A name nobody has is counted the same way: no signal.
		fail("nobody", models.MaxLoginFailures)
		throttled("nobody", "correct horse", models.LoginFailureWindow)
		if _, err := s.Authenticate(ctx, "bob", "correct horse"); err != nil {
			t.Fatalf("another name is not throttled: %v", err)
		}
		acc, err := s.AccountByUsername(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ChangePassword(ctx, acc, "correct horse", "new correct horse"); !errors.Is(err, models.ErrThrottled) {
			t.Fatalf("change of password while throttled: %v", err)
		}
		// Names no account can have are not counted.
		for range models.MaxLoginFailures + 1 {
			if _, err := s.Authenticate(ctx, "Not.A_Name!", "x"); !errors.Is(err, models.ErrBadCredentials) {
				t.Fatalf("invalid name: %v", err)
			}
		}
		// The window ends an hour after its first failure.
		now = start.Add(models.LoginFailureWindow)
		if n, err := s.PurgeLoginFailures(ctx); err != nil || n != 1 {
			t.Fatalf("purge: %d rows, %v; want alice's (nobody's window started later)", n, err)
		}
		if _, err := s.Authenticate(ctx, "alice", "correct horse"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		// A log-in clears the count; a new window starts after the old one.
		fail("alice", models.MaxLoginFailures-1)
		if _, err := s.Authenticate(ctx, "alice", "correct horse"); err != nil {
			t.Fatal(err)
		}
		fail("alice", models.MaxLoginFailures-1)
		now = now.Add(models.LoginFailureWindow)
		fail("alice", models.MaxLoginFailures-1)
		if _, err := s.Authenticate(ctx, "alice", "correct horse"); err != nil {
			t.Fatalf("failures of an ended window counted: %v", err)
		}
	}, models.WithClock(func() time.Time { return now }))
}

func TestSessionsExpire(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse"})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := s.CreateSession(ctx, acc, "test")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.SessionAccount(ctx, secret); err != nil || got.ID != acc.ID {
			t.Fatalf("fresh session: %v", err)
		}
		if _, err := s.SessionAccount(ctx, secret+"x"); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatalf("forged session accepted: %v", err)
		}
		now = now.Add(models.SessionIdle - time.Hour)
		if _, err := s.SessionAccount(ctx, secret); err != nil {
			t.Fatalf("session used within the idle window: %v", err)
		}
		now = now.Add(models.SessionIdle + time.Minute)
		if _, err := s.SessionAccount(ctx, secret); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatalf("idle session still valid: %v", err)
		}
		secret2, _ := s.CreateSession(ctx, acc, "test")
		if err := s.DeleteSession(ctx, secret2); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionAccount(ctx, secret2); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatalf("logged-out session still valid: %v", err)
		}
	}, models.WithClock(func() time.Time { return clock() }))
}

func TestTokens(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := s.CreateAccount(ctx, models.NewAccount{Username: "bot", Password: "correct horse"})
		tok, err := s.CreateToken(ctx, acc, "script")
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.TokenAccount(ctx, tok); err != nil || got.Username != "bot" || got.Actor == nil || got.Actor.ID != acc.Actor.ID || got.Actor.URI != acc.Actor.URI {
			t.Fatalf("token: %+v %v", got, err)
		}
		var n int
		if err := s.DB.NewRaw("SELECT count(*) FROM api_tokens WHERE token_hash = ?", tok).Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("the raw token must not be stored (found %d, %v)", n, err)
		}
		if _, err := s.TokenAccount(ctx, "odn_wrong"); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatalf("wrong token: %v", err)
		}
		if err := s.SetDisabled(ctx, nil, "bot", true, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenAccount(ctx, tok); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatalf("token of a disabled account still works: %v", err)
		}
	})
}

func TestDeleteAccountErasesPersonalData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse", Email: "alice@example.org"})
		secret, _ := s.CreateSession(ctx, acc, "ua")
		tok, _ := s.CreateToken(ctx, acc, "t")
		if err := s.DeleteAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		var email, hash string
		if err := s.DB.NewRaw("SELECT email, password_hash FROM accounts WHERE id = ?", acc.ID).Scan(ctx, &email, &hash); err != nil {
			t.Fatal(err)
		}
		if email != "" || hash != "" {
			t.Fatalf("personal data kept: email=%q hash=%q", email, hash)
		}
		a, err := s.ActorByID(ctx, acc.Actor.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.DeletedAt == nil || a.Name != "" {
			t.Fatal("actor not erased")
		}
		if a.PrivateKeyPEM == "" {
			t.Fatal("the key went before the actor's own Delete was signed")
		}
		if _, err := s.SessionAccount(ctx, secret); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatal("session survived deletion")
		}
		if _, err := s.TokenAccount(ctx, tok); !errors.Is(err, models.ErrUnauthorized) {
			t.Fatal("token survived deletion")
		}
		if _, err := s.Authenticate(ctx, "alice", "correct horse"); err == nil {
			t.Fatal("deleted account can log in")
		}
		if _, err := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse"}); err == nil {
			t.Fatal("a deleted name was reused: impersonation risk")
		}
		evs, _ := s.PendingEvents(ctx, 10)
		found := false
		for _, e := range evs {
			found = found || e.Kind == models.EventAccountDeleted
		}
		if !found {
			t.Fatal("no account.deleted event for federation")
		}

		// The key goes once nothing the actor signs is left to send.
		keyOf := func() string {
			a, err := s.ActorByID(ctx, acc.Actor.ID)
			if err != nil {
				t.Fatal(err)
			}
			return a.PrivateKeyPEM
		}
		if n, err := s.ForgetDeletedKeys(ctx); err != nil || n != 0 || keyOf() == "" {
			t.Fatalf("key wiped (%d, %v) while the account.deleted event waits", n, err)
		}
		for _, e := range evs {
			if err := s.MarkEventProcessed(ctx, e.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: acc.Actor.URI + "#delete", Body: []byte("{}"),
			SignerID: acc.Actor.ID, Inboxes: []string{"https://peer.example/inbox"}}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ForgetDeletedKeys(ctx); err != nil || n != 0 || keyOf() == "" {
			t.Fatalf("key wiped (%d, %v) while its Delete waits for delivery", n, err)
		}
		if _, err := s.DB.NewUpdate().Table("deliveries").Set("state = ?", models.DeliveryDone).Where("signer_id = ?", acc.Actor.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := s.ForgetDeletedKeys(ctx); err != nil || n != 1 || keyOf() != "" {
			t.Fatalf("ForgetDeletedKeys: %d, %v; key left: %v", n, err, keyOf() != "")
		}
	})
}

func TestSignUpModes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		in := func(n string) models.NewAccount { return models.NewAccount{Username: n, Password: "correct horse"} }
		if _, err := s.SignUp(ctx, in("open1"), ""); err != nil {
			t.Fatalf("open sign-up: %v", err)
		}
		if err := s.SetSetting(ctx, nil, models.SettingRegistration, models.RegistrationClosed); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignUp(ctx, in("closed1"), ""); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("closed sign-up: %v", err)
		}
		if err := s.SetSetting(ctx, nil, models.SettingRegistration, models.RegistrationInvite); err != nil {
			t.Fatal(err)
		}
		code, err := s.CreateInvite(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SignUp(ctx, in("inv1"), "wrong"); err == nil {
			t.Fatal("bad invite accepted")
		}
		if _, err := s.SignUp(ctx, in("admin"), code); err == nil {
			t.Fatal("reserved name accepted")
		}
		if _, err := s.SignUp(ctx, in("inv1"), code); err != nil {
			t.Fatalf("invite refused after a failed attempt gave it back: %v", err)
		}
		if _, err := s.SignUp(ctx, in("inv2"), code); err == nil {
			t.Fatal("invite used twice")
		}
		if err := s.SetSetting(ctx, nil, models.SettingRegistration, "sometimes"); err == nil {
			t.Fatal("bad registration mode accepted")
		}
	})
}

func TestSpaces(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		member, _ := s.CreateAccount(ctx, models.NewAccount{Username: "m", Password: "correct horse"})
		admin, _ := s.CreateAccount(ctx, models.NewAccount{Username: "a", Password: "correct horse", Role: models.RoleAdmin})
		if _, err := s.CreateSpace(ctx, member, models.SpaceInput{Name: "x", Kind: models.KindCity}); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("member created a space: %v", err)
		}
		bad := []models.SpaceInput{
			{Name: "k", Kind: "kingdom"},
			{Name: "p", Kind: models.KindCity, Policy: "secret"},
			{Name: "t", Kind: models.KindCity, Title: strings.Repeat("t", 200)},
			{Name: "h", Kind: models.KindCity, AllowedHosts: []string{"https://bad/"}},
			{Name: "l", Kind: models.KindCity, Licence: "proprietary"},
			{Name: "n", Kind: models.KindCity, SupportThreshold: -1},
		}
		for _, in := range bad {
			if _, err := s.CreateSpace(ctx, admin, in); err == nil {
				t.Errorf("accepted %+v", in)
			}
		}
		sp, err := s.CreateSpace(ctx, admin, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town",
			Description: "Hello <script>alert(1)</script> **world**", Policy: models.PolicyNetwork, AllowedHosts: []string{"A.example", " b.example"}})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(sp.DescriptionHTML, "<script") || !strings.Contains(sp.DescriptionHTML, "<strong>world</strong>") {
			t.Fatalf("description not sanitised: %s", sp.DescriptionHTML)
		}
		if got := sp.Hosts(); len(got) != 2 || got[0] != "a.example" {
			t.Fatalf("hosts %v", got)
		}
		if sp.Actor.Type != models.ActorGroup || sp.Actor.PublicKeyPEM == "" {
			t.Fatal("space actor missing")
		}
		upd, err := s.UpdateSpace(ctx, admin, "town", models.SpaceInput{Kind: models.KindCity, Title: "New", Policy: models.PolicyLocal})
		if err != nil || upd.Title != "New" || upd.Licence != models.DefaultLicence {
			t.Fatalf("update: %v %+v", err, upd)
		}
		// The name is part of the actor id: an edit naming another is
		// refused on that field, not applied nor silently ignored.
		_, err = s.UpdateSpace(ctx, admin, "town", models.SpaceInput{Name: "city", Kind: models.KindCity, Title: "Renamed"})
		var ve *models.ValidationError
		if !errors.As(err, &ve) || ve.Fields["name"] == "" {
			t.Fatalf("rename: %v, want a field error on name", err)
		}
		if got, err := s.SpaceByName(ctx, "town"); err != nil || got.Title != "New" {
			t.Fatalf("after a refused rename: %v %+v", err, got)
		}
		list, _ := s.ListSpaces(ctx)
		if len(list) != 1 {
			t.Fatalf("%d spaces", len(list))
		}
		entries, _ := s.AuditLog(ctx, 10)
		if len(entries) < 2 {
			t.Fatalf("admin actions not audited: %d entries", len(entries))
		}
	})
}

func TestMayParticipate(t *testing.T) {
	local := &models.Actor{Local: true, Host: "here.example"}
	partner := &models.Actor{Host: "partner.example"}
	stranger := &models.Actor{Host: "far.example"}
	cases := []struct {
		policy string
		actor  *models.Actor
		ok     bool
	}{
		{models.PolicyOpen, stranger, true},
		{models.PolicyNetwork, local, true},
		{models.PolicyNetwork, partner, true},
		{models.PolicyNetwork, stranger, false},
		{models.PolicyLocal, local, true},
		{models.PolicyLocal, partner, false},
		{models.PolicyOpen, nil, false},
	}
	for _, c := range cases {
		sp := &models.Space{Policy: c.policy, AllowedHosts: "partner.example"}
		if err := sp.MayParticipate(c.actor); (err == nil) != c.ok {
			t.Errorf("%s %+v: got %v", c.policy, c.actor, err)
		}
	}
}

func TestRemoteActorNeverOverwritesLocal(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		acc, _ := s.CreateAccount(ctx, models.NewAccount{Username: "alice", Password: "correct horse"})
		if _, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: acc.Actor.URI, Type: "Person", Name: "evil", Host: "evil.example"}); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ActorByURI(ctx, acc.Actor.URI)
		if got.Name == "evil" || !got.Local || got.PrivateKeyPEM == "" {
			t.Fatal("a remote document overwrote a local actor")
		}
		r, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/u/bob", Type: "Person", Username: "bob", Host: "far.example", Name: "Bob"})
		if err != nil || r.ID == 0 || r.Local {
			t.Fatalf("remote actor: %v %+v", err, r)
		}
		r.Name = "Robert"
		r2, err := s.UpsertRemoteActor(ctx, r)
		if err != nil || r2.Name != "Robert" || r2.ID != r.ID {
			t.Fatalf("refresh: %v %+v", err, r2)
		}
	})
}
