package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// What the origin of a remote proposal or petition says about it besides
// the object itself: the official answer to a proposal, the addressee's
// response to a petition, and the updates its author posts to the
// signers. Copies show them, and the local supporters and signers are
// told as the origin's own are.

// RemoteAnswer is an official reply received from the origin of a copy.
type RemoteAnswer struct {
	// ObjectURI is the proposal or petition answered (a copy here).
	ObjectURI string
	HTML      string // sanitised here
	Status    string // the proposal's status it gives, for the notification
	At        time.Time
}

// SetRemoteAnswer stores on the copy of a proposal its official answer,
// or on the copy of a petition its addressee's response (the petition is
// then answered), as sent by the origin: by must be an actor of the
// copy's host (federation checks that the origin vouches for it). The
// local supporters or signers are told. An answer not newer than the one
// held (a replay, the space's relay of the same Note) tells no one: its
// text is shown when it is the decision whose time the proposal's Update
// (odn:answeredAt) brought first, and nothing changes otherwise;
// ErrNotFound when no copy of ObjectURI is held here.
func (s *Store) SetRemoteAnswer(ctx context.Context, by *Actor, in RemoteAnswer) error {
	if by == nil || by.Local {
		return ErrForbidden
	}
	html := SanitizeHTML(in.HTML)
	if strings.TrimSpace(PlainText(html)) == "" || len(in.HTML) > maxRemoteLen {
		return Invalid("content", "The answer is empty or too long.")
	}
	at := orNow(in.At, s.Now()).UTC().Truncate(time.Microsecond)
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		typ, id, err := remoteCopyFrom(ctx, tx, by, in.ObjectURI)
		if err != nil {
			return err
		}
		var n Notification
		update := func() *bun.UpdateQuery {
			if typ == ObjectTypePetition {
				return tx.NewUpdate().Model((*Petition)(nil)).Set("response_html = ?, responded_at = ?, status = ?", html, at, PetitionAnswered)
			}
			return tx.NewUpdate().Model((*Proposal)(nil)).Set("answer_html = ?, answered_at = ?", html, at)
		}
		switch typ {
		case ObjectTypeProposal:
			n = Notification{Kind: NotifyProposalAnswered, Data: in.Status}
		case ObjectTypePetition:
			n = Notification{Kind: NotifyPetitionAnswered}
		default:
			return ErrNotFound
		}
		col := bun.Ident(answeredColumn(typ))
		res, err := update().Where("id = ? AND (? IS NULL OR ? < ?)", id, col, col, at).Exec(ctx)
		if err != nil {
			return dbErr("remote answer", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			// Not newer: the answer held, or the text of the decision
			// whose time the proposal's Update brought first (it told the
			// supporters then), which is shown without telling them again.
			_, err := update().Where("id = ? AND ? = ?", id, col, at).Exec(ctx)
			return dbErr("remote answer", err)
		}
		var audience []int64
		if typ == ObjectTypeProposal {
			audience, err = proposalAudience(ctx, tx, &Proposal{ID: id})
		} else {
			audience, err = petitionAudience(ctx, tx, &Petition{ID: id}, true)
		}
		if err != nil {
			return err
		}
		n.ObjectType, n.ObjectID, n.ActorID = typ, id, by.ID
		return s.Notify(ctx, tx, audience, n)
	})
}

func answeredColumn(typ string) string {
	if typ == ObjectTypePetition {
		return "responded_at"
	}
	return "answered_at"
}

// remoteCopyFrom finds the live copy of a proposal or petition uri held
// here whose origin is by's host.
func remoteCopyFrom(ctx context.Context, tx bun.IDB, by *Actor, uri string) (string, int64, error) {
	for _, typ := range []string{ObjectTypeProposal, ObjectTypePetition} {
		var row struct {
			ID     int64
			Local  bool
			Origin string
		}
		err := tx.NewSelect().TableExpr("?", bun.Ident(civicObjects[typ].table)).Column("id", "local", "origin").
			Where("uri = ? AND deleted_at IS NULL", uri).Limit(1).Scan(ctx, &row)
		if err := dbErr("remote copy", err); errors.Is(err, ErrNotFound) {
			continue
		} else if err != nil {
			return "", 0, err
		}
		if row.Local || !strings.EqualFold(row.Origin, normalizeHost(by.Host)) {
			return "", 0, fmt.Errorf("%w: %s is not a copy from %s", ErrForbidden, uri, by.Host)
		}
		return typ, row.ID, nil
	}
	return "", 0, ErrNotFound
}

// RemotePetitionUpdate is news the author of a remote petition posted to
// its signers.
type RemotePetitionUpdate struct {
	URI, PetitionURI string
	ContentHTML      string // sanitised here
	Published        time.Time
}

// AddRemotePetitionUpdate stores on the copy of a petition an update its
// author (by) posted at the origin, and tells the local signers as the
// origin tells its own. Receiving it again with another text (the author
// edited it) changes its text and EditedAt, telling no one; the same text
// changes nothing. ErrNotFound when no copy of the petition is held here.
func (s *Store) AddRemotePetitionUpdate(ctx context.Context, by *Actor, in RemotePetitionUpdate) error {
	if by == nil || by.Local {
		return ErrForbidden
	}
	if u, err := url.Parse(in.URI); err != nil || !strings.EqualFold(u.Host, by.Host) {
		return fmt.Errorf("%w: update %s is not from %s", ErrForbidden, in.URI, by.Host)
	}
	html := SanitizeHTML(in.ContentHTML)
	text := strings.TrimSpace(PlainText(html))
	if text == "" || len(in.ContentHTML) > maxRemoteLen {
		return Invalid("content", "The update is empty or too long.")
	}
	now := s.Now()
	created := in.Published.UTC().Truncate(time.Microsecond)
	if created.IsZero() || created.After(now) {
		created = now
	}
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		typ, id, err := remoteCopyFrom(ctx, tx, by, in.PetitionURI)
		if err != nil {
			return err
		}
		if typ != ObjectTypePetition {
			return ErrNotFound // a proposal has no updates
		}
		p := new(Petition)
		if err := tx.NewSelect().Model(p).Column("id", "author_id").Where("id = ?", id).Scan(ctx); err != nil {
			return dbErr("remote petition update", err)
		}
		if p.AuthorID != by.ID {
			return fmt.Errorf("%w: only the petition's author posts its updates", ErrForbidden)
		}
		if n, err := tx.NewSelect().Model((*PetitionUpdate)(nil)).Where("uri = ?", in.URI).Count(ctx); err != nil {
			return dbErr("remote petition update", err)
		} else if n > 0 {
			// Received already: an edit (the Update of its Note) changes
			// its text, telling no one again, as an edit at the origin.
			_, err := tx.NewUpdate().Model((*PetitionUpdate)(nil)).Set("body = ?, body_html = ?, edited_at = ?", text, html, now).
				Where("uri = ? AND petition_id = ? AND author_id = ? AND body_html <> ?", in.URI, p.ID, by.ID, html).Exec(ctx)
			return dbErr("remote petition update", err)
		}
		u := &PetitionUpdate{URI: in.URI, PetitionID: p.ID, AuthorID: by.ID, Body: text, BodyHTML: html, CreatedAt: created}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return dbErr("remote petition update", err)
		}
		signers, err := petitionAudience(ctx, tx, p, false)
		if err != nil {
			return err
		}
		return s.Notify(ctx, tx, signers, Notification{Kind: NotifyPetitionUpdate, ObjectType: ObjectTypePetition,
			ObjectID: p.ID, ActorID: by.ID, Data: fmt.Sprint(u.ID)})
	})
	if errors.Is(err, ErrDuplicate) {
		return nil // a concurrent delivery stored it
	}
	return err
}
