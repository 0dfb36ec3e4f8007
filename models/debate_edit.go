package models

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// EventDebateUpdated: a moderator edited a published debate (UpdateDebate;
// a draft's edit emits none, or debate.opened when it opens it). Data {}.
// Federation sends its Update{Question} at once.
const EventDebateUpdated = "debate.updated"

// DebateEditable says what of a debate may still change, and why not the
// rest: votes are cast on a question and its options under its rules, so
// those are fixed once a vote could have been cast.
type DebateEditable struct {
	// Any: the debate is local and not closed; nothing changes otherwise.
	Any bool
	// Question: while nobody has voted.
	Question bool
	// Rules: options, single or multiple choice, opening date, results
	// visibility and public ballot, while it is a draft (no vote yet,
	// not published).
	Rules bool
}

// Editable reports what may still change in d, as loaded (d.Current):
// everything while it is a draft; once open, its description and closing
// date, and its question until the first vote; nothing once closed or on
// a copy (its origin decides).
func (d *Debate) Editable() DebateEditable {
	if !d.Local || d.DeletedAt != nil || d.Current == DebateClosed {
		return DebateEditable{}
	}
	return DebateEditable{Any: true, Question: d.Current == DebateDraft || d.Voters == 0, Rules: d.Current == DebateDraft}
}

// Input is d as its edit form starts: what UpdateDebate takes back
// unchanged.
func (d *Debate) Input() DebateInput {
	return DebateInput{Question: d.Question, Description: d.Description, Options: slices.Clone(d.Options), Multiple: d.Multiple,
		OpensAt: d.OpensAt, ClosesAt: d.ClosesAt, ResultsVisibility: d.ResultsVisibility, PublicBallot: d.PublicBallot,
		ConsultationID: d.ConsultationID}
}

// UpdateDebate edits a local debate; moderators only. in is the whole
// debate as the form or the API sends it, validated as at creation; a
// field that may no longer change (Debate.Editable) must be sent
// unchanged, or the edit is refused with that field's reason. The
// consultation of a debate does not change (0 keeps it). The edit is
// audited, and its event makes federation send the Update{Question}. An
// edit made from another version than the current one (in.IfVersion) is
// refused with ErrEditConflict.
func (s *Store) UpdateDebate(ctx context.Context, by *Account, id int64, in DebateInput) (*Debate, error) {
	if by == nil {
		return nil, ErrUnauthorized
	}
	if !by.IsModerator() || by.Actor == nil {
		return nil, ErrForbidden
	}
	now := s.Now()
	// Every problem is reported at once: the input's own, then what may no
	// longer change.
	v := &ValidationError{}
	if err := in.validate(now); err != nil && !errors.As(err, &v) {
		return nil, err
	}
	var d *Debate
	err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if d, err = s.lockDebate(ctx, tx, id); err != nil {
			return err
		}
		if d.DeletedAt != nil {
			return ErrNotFound
		}
		if !d.Local {
			return fmt.Errorf("%w: the server of this debate decides its text", ErrForbidden)
		}
		// Locked by lockDebate: checked and written in one step.
		if err := checkVersion(d.Version, in.IfVersion); err != nil {
			return err
		}
		// A phase that time already changed is recorded first (its event
		// publishes an opened debate), so the rules below see it.
		if err := s.settle(ctx, tx, d); err != nil {
			return err
		}
		can := d.Editable()
		if !can.Any {
			return fmt.Errorf("%w: a closed debate cannot be edited", ErrClosed)
		}
		// A consultation's synthesis is written from its debates as they
		// stand: they no longer change once it begins (as proposals).
		switch c, _, err := s.consultationOf(ctx, tx, d.ConsultationRef()); {
		case err != nil:
			return err
		case c != nil && !slices.Contains([]string{PhaseUpcoming, PhaseInformation, PhaseContribution}, c.PhaseAt(now)):
			return fmt.Errorf("%w: the consultation of this debate is past its contributions: its debates no longer change", ErrClosed)
		}
		published := d.Current != DebateDraft
		if in.ConsultationID != 0 && in.ConsultationID != d.ConsultationID {
			v.Add("consultation", "The consultation of a debate cannot be changed.")
		}
		if !can.Question && in.Question != d.Question {
			v.Add("question", "The question cannot change once someone has voted.")
		}
		if !can.Rules {
			const fixed = "This cannot change once the debate is open."
			if !slices.Equal(in.Options, d.Options) {
				v.Add("options", fixed)
			}
			if in.Multiple != d.Multiple {
				v.Add("multiple", fixed)
			}
			if in.ResultsVisibility != d.ResultsVisibility {
				v.Add("results_visibility", fixed)
			}
			if in.PublicBallot != d.PublicBallot {
				v.Add("public_ballot", fixed)
			}
			if !sameTime(in.OpensAt, d.OpensAt) {
				v.Add("opens_at", fixed)
			}
			// Its closing date moves but stays: without one, results shown
			// after the close would stay hidden until someone closes it.
			if d.ClosesAt != nil && in.ClosesAt == nil {
				v.Add("closes_at", "An open vote keeps its closing date: move it rather than remove it.")
			}
		}
		if err := v.Err(); err != nil {
			return err
		}
		if can.Rules && !slices.Equal(in.Options, d.Options) {
			d.Counts = make([]int, len(in.Options)) // a draft has no vote
		}
		d.Question, d.Description, d.DescriptionHTML = in.Question, in.Description, RenderMarkdown(in.Description)
		d.Options, d.Multiple, d.ResultsVisibility, d.PublicBallot = in.Options, in.Multiple, in.ResultsVisibility, in.PublicBallot
		d.OpensAt, d.ClosesAt, d.UpdatedAt, d.Version = in.OpensAt, in.ClosesAt, now, d.Version+1
		d.Search = d.searchText()
		if _, err := tx.NewUpdate().Model(d).WherePK().Column("question", "description", "description_html", "search", "options", "counts",
			"multiple", "results_visibility", "public_ballot", "opens_at", "closes_at", "updated_at", "version").Exec(ctx); err != nil {
			return dbErr("update debate", err)
		}
		if err := s.audit(ctx, tx, by, "update_debate", ObjectTypeDebate, strconv.FormatInt(d.ID, 10), ""); err != nil {
			return err
		}
		if !published {
			// A draft given an opening date already past opens now, with
			// its event (the Create); otherwise nothing was published that
			// an Update would change.
			d.Current = d.PhaseAt(now)
			return s.settle(ctx, tx, d)
		}
		return s.emitDebate(ctx, tx, EventDebateUpdated, d, by.Actor.ID, nil)
	})
	if err != nil {
		return nil, err
	}
	return s.DebateByID(ctx, id)
}

// sameTime reports whether two optional instants are equal (both nil, or
// the same instant).
func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
