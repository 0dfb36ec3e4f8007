package models_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
)

// erasedKept are the columns that keep an erased member's user name on
// purpose, and why. Anything else holding it after the erasure (and
// housekeeping) is a leak.
var erasedKept = map[string]string{
	"accounts.username": "the name stays claimed, so nobody can impersonate the member",
	"handles.name":      "the same claim, shared with space names",
	// The actor's ActivityPub id and the ids derived from it are
	// permanent: other servers know them, and the Delete names them.
	"actors.username": "", "actors.uri": "", "actors.url": "", "actors.inbox": "", "actors.outbox": "",
	"actors.followers_uri": "", "actors.following_uri": "", "actors.public_key_id": "",
	// Counts of wrong passwords per name live an hour (PurgeLoginFailures).
	"login_failures.name": "",
	// Who was given which role, disabled or unlocked, for accountability.
	"audit_log.target_id": "",
}

// erasedTransient are the federation queues: they hold copies of what is
// sent to other servers (the member's Delete among them) and are purged
// within days (PurgeEvents, PurgeDeliveries, PurgeInboxItems).
var erasedTransient = []string{"events", "deliveries", "delivery_bodies", "inbox_items"}

// TestEraseLeavesNothingPersonal gives a member one of everything a
// member can have (sessions, a token, a password reset link, a located
// and tagged proposal, a comment and a reply, supports, votes and
// signatures on open and on decided items, notifications, follows both
// ways, a report, a log-in failure), erases the account, runs the federation's share (its events
// handled) and the housekeeping, then reads every column of every table:
// the e-mail address, the browser's name and the token's name are
// nowhere, and the user name only where erasedKept says why.
func TestEraseLeavesNothingPersonal(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		s := f.s
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		const (
			name    = "zelda"
			email   = "zelda.private@mail.example"
			pending = "zelda.pending@mail.example"
		)
		zel, err := s.CreateAccount(ctx, models.NewAccount{Username: name, Email: email, Password: "correct horse battery", Locale: "fr"})
		must(err)
		// Her profile: display name and bio (kept as Markdown on the
		// account, as HTML in the actor's summary).
		zel, err = s.EditAccount(ctx, zel, models.AccountEdit{DisplayName: ptr("Zelda Quixote"), Bio: ptr("Keeper of *zelda-bio-marker*.")})
		must(err)
		z, ann := zel.Actor, f.users[0]
		must(s.SetRole(ctx, f.admin, name, models.RoleModerator))
		must(s.SetDecider(ctx, nil, "boss", true))
		_, err = s.CreateSession(ctx, zel, "ZeldaBrowser/9.1")
		must(err)
		_, err = s.CreateToken(ctx, zel, "zelda-script-token")
		must(err)
		if resets, err := s.RequestPasswordReset(ctx, email, nil); err != nil || len(resets) != 1 {
			t.Fatalf("password reset link: %v %v", resets, err)
		}
		// A new address awaiting its confirmation link.
		_, err = s.EditAccount(ctx, zel, models.AccountEdit{Email: ptr(pending), CurrentPassword: "correct horse battery"})
		must(err)
		if link, err := s.RequestEmailConfirmation(ctx, zel.ID, nil); err != nil || link == nil {
			t.Fatalf("confirmation link: %v %v", link, err)
		}
		_, err = s.Authenticate(ctx, name, "a wrong guess")
		if err == nil {
			t.Fatal("a wrong password logged in")
		}
		// A mail waiting in the outbox (a notice lives three days).
		must(s.QueueMail(ctx, models.Mail{AccountID: zel.ID, Username: name, Kind: "e-mail changed", Address: email,
			Subject: "Your address", Body: "zelda-mail-marker"}))

		day := 24 * time.Hour
		cons, err := s.CreateConsultation(ctx, f.mod, "town", models.ConsultationInput{Title: "Market", Summary: "x", MapEnabled: true,
			OpensAt: f.now.Add(-day), ContributionAt: f.now.Add(-time.Hour), SynthesisAt: f.now.Add(2 * day), ClosesAt: f.now.Add(3 * day)})
		must(err)
		mine, err := s.CreateProposal(ctx, z, "town", models.ProposalInput{Title: "Benches", Body: "Please.", Tags: []string{"rest"}, Consultation: cons.ID})
		must(err)
		lat, lon := 45.75, 4.85
		must(s.LocateContribution(ctx, zel, models.ObjectTypeProposal, mine.ID, &lat, &lon))
		open, err := s.CreateProposal(ctx, ann.Actor, "town", models.ProposalInput{Title: "Trees", Body: "Shade."})
		must(err)
		decided, err := s.CreateProposal(ctx, ann.Actor, "town", models.ProposalInput{Title: "Lights", Body: "Night."})
		must(err)
		for _, p := range []*models.Proposal{open, decided} {
			_, err := s.Support(ctx, z, p.ID)
			must(err)
		}
		_, err = s.SetProposalStatus(ctx, f.mod, decided.ID, models.ProposalAccepted, "")
		must(err)

		running, closed := f.debate(t, models.DebateInput{}, true), f.debate(t, models.DebateInput{Question: "Which day?"}, true)
		for _, d := range []*models.Debate{running, closed} {
			_, err := s.CastVote(ctx, z, d.ID, []string{"Red"})
			must(err)
		}
		_, err = s.CloseDebate(ctx, f.mod, closed.ID)
		must(err)

		var petitions []*models.Petition
		for _, title := range []string{"Open pool", "Answered pool"} {
			p, err := s.CreatePetition(ctx, ann.Actor, "town", models.PetitionInput{Title: title, Body: "Swim.", Addressee: "boss", Goal: 10})
			must(err)
			_, _, err = s.Sign(ctx, z, p.ID, true)
			must(err)
			petitions = append(petitions, p)
		}
		_, err = s.RespondPetition(ctx, f.admin, petitions[1].ID, "Opening in June.")
		must(err)

		theirs, err := s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: open.ID, Body: "Oaks."})
		must(err)
		reply, err := s.CreateComment(ctx, z, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: open.ID, ParentID: theirs.ID, Body: "Limes."})
		must(err)
		_, err = s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: open.ID, ParentID: reply.ID, Body: "Both."})
		must(err)
		_, err = s.CreateReport(ctx, z, models.ReportInput{ObjectType: models.ObjectTypeComment, ObjectID: theirs.ID, Reason: "Off topic, says the reporter."})
		must(err)

		followed, follower := f.remote(t, "mo", "masto.example"), f.remote(t, "jo", "masto.example")
		_, err = s.FollowActor(ctx, zel, followed)
		must(err)
		_, err = s.ReceiveFollow(ctx, follower, z, "https://masto.example/users/jo#follows/1", true)
		must(err)

		if leaks := scanAll(t, s, name, email, pending, "ZeldaBrowser", "zelda-script-token", "Zelda Quixote", "zelda-bio-marker", "zelda-mail-marker"); len(leaks) < 5 {
			t.Fatalf("the scan does not see the member's data before the erasure: %v", leaks)
		}
		f.tick(time.Minute)
		must(s.DeleteAccount(ctx, zel))
		// Until the outbox has handled the erasure, the follows stay: its
		// Delete goes to these inboxes.
		n, err := s.ForgetErasedFollows(ctx)
		must(err)
		inboxes, err := s.RelatedInboxes(ctx, z.ID)
		must(err)
		if slices.Sort(inboxes); n != 0 || !slices.Equal(inboxes, []string{follower.Inbox, followed.Inbox}) {
			t.Fatalf("follows forgotten before the Delete was queued: %d deleted, inboxes %v", n, inboxes)
		}
		// The outbox's share: every event handled (the Delete queued for
		// followers and followees), then the hourly housekeeping.
		for {
			evs, err := s.PendingEvents(ctx, 100)
			must(err)
			if len(evs) == 0 {
				break
			}
			for _, ev := range evs {
				must(s.MarkEventProcessed(ctx, ev.ID))
			}
		}
		f.tick(time.Hour)
		_, err = s.ForgetDeletedKeys(ctx)
		must(err)
		_, err = s.ForgetErasedFollows(ctx)
		must(err)

		for _, leak := range scanAll(t, s, name, email, pending, "ZeldaBrowser", "zelda-script-token", "Zelda Quixote", "zelda-bio-marker", "zelda-mail-marker") {
			t.Error(leak)
		}
		// The role and language go with the e-mail: only the name stays.
		var role, locale string
		must(s.DB.NewSelect().Table("accounts").Column("role", "locale").Where("id = ?", zel.ID).Scan(ctx, &role, &locale))
		if role != models.RoleMember || locale != "" {
			t.Errorf("erased account keeps role %q and language %q", role, locale)
		}
		// Kept on purpose: public contributions (shown as by a deleted
		// account), the report (moderators still handle it, its
		// reporter shown as deleted) and what decided items were decided
		// with (the closed debate's ballot behind its receipt, the
		// support of an accepted proposal, the answered petition's
		// signature, no longer public).
		for _, kept := range []struct {
			table, where string
			args         []any
		}{
			{"proposals", "id = ? AND author_id = ?", []any{mine.ID, z.ID}},
			{"comments", "id = ? AND author_id = ?", []any{reply.ID, z.ID}},
			{"reports", "reporter_id = ?", []any{z.ID}},
			{"debate_ballots", "debate_id = ? AND actor_id = ?", []any{closed.ID, z.ID}},
			{"supports", "proposal_id = ? AND actor_id = ?", []any{decided.ID, z.ID}},
			{"signatures", "petition_id = ? AND actor_id = ? AND NOT public", []any{petitions[1].ID, z.ID}},
		} {
			n, err := s.DB.NewSelect().Table(kept.table).Where(kept.where, kept.args...).Count(ctx)
			must(err)
			if n != 1 {
				t.Errorf("%s: %d rows where %s, want 1 kept", kept.table, n, kept.where)
			}
		}
		// Withdrawn: what the member gave to items still open.
		for _, gone := range []struct {
			table, where string
			args         []any
		}{
			{"debate_ballots", "debate_id = ? AND actor_id = ?", []any{running.ID, z.ID}},
			{"supports", "proposal_id = ? AND actor_id = ?", []any{open.ID, z.ID}},
			{"signatures", "petition_id = ? AND actor_id = ?", []any{petitions[0].ID, z.ID}},
			{"notifications", "account_id = ?", []any{zel.ID}},
			{"follows", "follower_id = ? OR followee_id = ?", []any{z.ID, z.ID}},
		} {
			n, err := s.DB.NewSelect().Table(gone.table).Where(gone.where, gone.args...).Count(ctx)
			must(err)
			if n != 0 {
				t.Errorf("%s: %d rows where %s, want none", gone.table, n, gone.where)
			}
		}
	})
}

// scanAll reads every column of every table (the federation queues
// aside) and reports each cell holding one of needles, except the user
// name (needles[0]) where erasedKept allows it.
func scanAll(t *testing.T, s *models.Store, needles ...string) []string {
	t.Helper()
	ctx := context.Background()
	var tables []string
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.Dialect == models.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	if err := s.DB.NewRaw(q).Scan(ctx, &tables); err != nil {
		t.Fatal(err)
	}
	if len(tables) < 30 {
		t.Fatalf("only %d tables: %v", len(tables), tables)
	}
	var leaks []string
	for _, table := range tables {
		if slices.Contains(erasedTransient, table) {
			continue
		}
		var rows []map[string]any
		if err := s.DB.NewSelect().TableExpr("?", bun.Ident(table)).ColumnExpr("*").Scan(ctx, &rows); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for _, r := range rows {
			for col, v := range r {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				cell := fmt.Sprint(v)
				for i, needle := range needles {
					if !strings.Contains(cell, needle) {
						continue
					}
					if _, ok := erasedKept[table+"."+col]; ok && i == 0 {
						continue
					}
					leaks = append(leaks, fmt.Sprintf("%s.%s holds %q after the erasure: %.120q", table, col, needle, cell))
				}
			}
		}
	}
	return leaks
}

// TestRemoteActorDeletionForgetsProfile: when a remote person deletes
// their account (Delete{Person}, or their server answers 410 for them),
// the copy of their profile goes, as a local erasure's does: display name,
// description and avatar. The ids stay (a tombstone, later signatures to
// check, contributions shown as by a deleted account).
func TestRemoteActorDeletionForgetsProfile(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		zoe, err := f.s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://masto.example/users/zoe", Type: models.ActorPerson,
			Username: "zoe", Host: "masto.example", Name: "Zoé Lastname", Summary: "<p>Lives on Elm Street, two kids.</p>",
			IconURL: "https://masto.example/avatars/zoe.png", Inbox: "https://masto.example/users/zoe/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.s.MarkActorDeleted(ctx, zoe); err != nil {
			t.Fatal(err)
		}
		for _, leak := range scanAll(t, f.s, "Zoé Lastname", "Elm Street", "avatars/zoe.png") {
			t.Error(leak)
		}
		a, err := f.s.ActorByID(ctx, zoe.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !a.Erased() || a.URI != zoe.URI || a.PublicKeyPEM != zoe.PublicKeyPEM {
			t.Errorf("deleted actor: erased %v, uri %q", a.Erased(), a.URI)
		}
		// Fetched again (a lookup, a key refresh, an Update read before
		// the Delete committed): the profile does not come back.
		if _, err := f.s.UpsertRemoteActor(ctx, &models.Actor{URI: zoe.URI, Type: models.ActorPerson, Username: "zoe", Host: "masto.example",
			Name: "Zoé Lastname", Summary: "<p>Lives on Elm Street, two kids.</p>", IconURL: "https://masto.example/avatars/zoe.png",
			Inbox: "https://masto.example/users/zoe/inbox"}); err != nil {
			t.Fatal(err)
		}
		for _, leak := range scanAll(t, f.s, "Zoé Lastname", "Elm Street", "avatars/zoe.png") {
			t.Error("fetched again:", leak)
		}
	})
}
