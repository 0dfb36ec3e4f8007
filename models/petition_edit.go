package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"
)

// Editing what was said about a petition after the fact: the updates its
// author posted, and the official response of its addressee. Both keep
// their id (federation sends an Update of the same Note) and record when
// they were last edited, which their page shows.

// Events about edits. Data is a JSON object:
//   - petition.update_edited: {"uri", "update_id", "update_uri", "body_html"}
//   - petition.response_edited: {"uri", "response_html"}
const (
	EventPetitionUpdateEdited   = "petition.update_edited"
	EventPetitionResponseEdited = "petition.response_edited"
)

// NotifyPetitionResponseEdited: the addressee edited the official
// response; the signers and the author are told, as of the response. An
// edited update tells no one: updates are news, and an edit is mostly a
// typo fixed, which would not be worth a second notification.
const NotifyPetitionResponseEdited = "petition.response_edited"

// UpdateEditable reports whether by may edit update u of petition p: its
// author, or a moderator (audited), on a local petition.
func UpdateEditable(by *Account, p *Petition, u *PetitionUpdate) bool {
	if by == nil || by.Actor == nil || !p.Local || u.PetitionID != p.ID {
		return false
	}
	return by.Actor.ID == u.AuthorID || by.IsModerator()
}

// EditPetitionUpdate changes the text (Markdown) of an update of a local
// petition, by its author or a moderator (the audit log records a
// moderator's edit of another's update); ErrForbidden for anyone else.
// The update keeps its id and date and records when it was edited
// (EditedAt); nobody is notified again, and federation sends the Update of
// its Note. The same text again changes nothing. An edit made from
// another version than the current one (ifVersion; 0 accepts any) is
// refused with ErrEditConflict.
func (s *Store) EditPetitionUpdate(ctx context.Context, by *Account, petitionID, updateID int64, body string, ifVersion int64) (*PetitionUpdate, error) {
	if by == nil || by.Actor == nil {
		return nil, ErrUnauthorized
	}
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	u, err := s.PetitionUpdateByID(ctx, p.ID, updateID)
	if err != nil {
		return nil, err
	}
	// Who first, then the input (authorise.go).
	if !UpdateEditable(by, p, u) {
		return nil, fmt.Errorf("%w: only its author or a moderator edits an update", ErrForbidden)
	}
	body = strings.TrimSpace(body)
	v := &ValidationError{}
	checkBody(v, "body", "text", body)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkVersion(u.Version, ifVersion); err != nil {
		return nil, err
	}
	if body == u.Body {
		return u, nil
	}
	now := s.Now()
	u.Body, u.BodyHTML, u.EditedAt = body, RenderMarkdown(body), &now
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if u.Version, err = claimVersion(ctx, tx, "petition_updates", "version", u.ID, ifVersion); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(u).Column("body", "body_html", "edited_at", "version").WherePK().Exec(ctx); err != nil {
			return dbErr("edit petition update", err)
		}
		if by.Actor.ID != u.AuthorID {
			if err := s.audit(ctx, tx, by, "petition_update_edited", ObjectTypePetition, fmt.Sprint(p.ID), fmt.Sprint(u.ID)); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, petitionEvent(EventPetitionUpdateEdited, p, by.Actor.ID, map[string]any{
			"uri": p.URI, "update_id": u.ID, "update_uri": u.URI, "body_html": u.BodyHTML}))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ResponseEditable reports whether by may edit the official response of
// p: a local petition answered, by its addressee while they may still
// answer (AddresseeCanAnswer, given as canAnswer).
func ResponseEditable(by *Account, p *Petition, canAnswer bool) bool {
	return by != nil && by.Actor != nil && p.Local && p.Status == PetitionAnswered &&
		by.Actor.ID == p.AddresseeID && canAnswer
}

// EditPetitionResponse changes the official response (Markdown) of a
// local answered petition, by its addressee while they may still answer
// (ErrForbidden otherwise, as RespondPetition; ErrConflict while it is
// not answered). It keeps its date (RespondedAt) and records when it was
// edited (ResponseEditedAt); the audit log records it, the signers and
// the author are told (the institution's word changed), and federation
// sends the Update of the response Note. The same text again changes
// nothing. An edit made from another version of the response than the
// current one (ifVersion, against ResponseVersion; 0 accepts any) is
// refused with ErrEditConflict.
func (s *Store) EditPetitionResponse(ctx context.Context, by *Account, petitionID int64, response string, ifVersion int64) (*Petition, error) {
	if by == nil || by.Actor == nil {
		return nil, ErrUnauthorized
	}
	response = strings.TrimSpace(response)
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return nil, err
	}
	if err := petitionAddressee(p, by); err != nil {
		return nil, err
	}
	if ok, err := s.AddresseeCanAnswer(ctx, p); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: the addressee is no longer a verified decision-maker", ErrForbidden)
	}
	if p.Status != PetitionAnswered {
		return nil, fmt.Errorf("%w: this petition has no response yet", ErrConflict)
	}
	v := &ValidationError{}
	checkBody(v, "response", "response", response)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := checkVersion(p.ResponseVersion, ifVersion); err != nil {
		return nil, err
	}
	if response == p.Response {
		return p, nil
	}
	now := s.Now()
	html := RenderMarkdown(response)
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		version, err := claimVersion(ctx, tx, "petitions", "response_version", p.ID, ifVersion)
		if err != nil {
			return err
		}
		res, err := tx.NewUpdate().Model((*Petition)(nil)).Set("response = ?", response).Set("response_html = ?", html).
			Set("response_edited_at = ?", now).Set("updated_at = ?", now).Set("response_version = ?", version).
			Where("id = ? AND status = ? AND addressee_id = ?", p.ID, PetitionAnswered, by.Actor.ID).Exec(ctx)
		if err != nil {
			return dbErr("edit petition response", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: this petition has no response yet", ErrConflict)
		}
		p.Response, p.ResponseHTML, p.ResponseEditedAt, p.UpdatedAt, p.ResponseVersion = response, html, &now, now, version
		return s.announceResponse(ctx, tx, by, p, "petition_response_edited", NotifyPetitionResponseEdited, EventPetitionResponseEdited)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// PetitionResponses returns the events that sent the response of
// petition id, oldest first: its petition.answered event (the response
// Note's Create) and its petition.response_edited ones (Updates), each
// with when the outbox handled it (ProcessedAt; nil while pending). They
// are kept as history (PurgeEvents), as ProposalAnswers: federation reads
// them to tell whether the response went out before its addressee's
// erasure.
func (s *Store) PetitionResponses(ctx context.Context, id int64) ([]Event, error) {
	var evs []Event
	err := s.DB.NewSelect().Model(&evs).Column("id", "kind", "actor_id", "data", "created_at", "processed_at").
		// The very predicate of the partial index events_petition_responses.
		Where("kind IN ('petition.answered', 'petition.response_edited')").
		Where("object_type = ? AND object_id = ?", ObjectTypePetition, id).
		Order("id").Scan(ctx)
	if err != nil {
		return nil, dbErr("petition responses", err)
	}
	return slices.DeleteFunc(evs, func(ev Event) bool { return responseTextOf(ev) == "" }), nil
}

// responseTextOf is the response (HTML) a petition event carried.
func responseTextOf(ev Event) string {
	var d struct {
		ResponseHTML string `json:"response_html"`
	}
	_ = json.Unmarshal([]byte(ev.Data), &d) // absent or malformed: none
	return d.ResponseHTML
}
