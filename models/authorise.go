package models

import (
	"context"
	"fmt"
)

// Who may act on an object, asked before the action's input is read.
// Each action below checks its rule before validating its input, and the
// API door calls these before decoding a request's body: someone who may
// not act is refused (ErrForbidden) whatever they send, and never learns
// the rules of an input they may not give. ErrNotFound when the object
// does not exist; what the object's state allows (closed, hidden, out of
// its edit window) is left to the action, for those who may act.

// MayEditComment reports whether by may edit the comment id
// (EditComment): its author, on a local comment.
func (s *Store) MayEditComment(ctx context.Context, by *Actor, id int64) error {
	c, err := s.CommentByID(ctx, id)
	if err != nil {
		return err
	}
	return commentEditor(c, by)
}

// commentEditor is EditComment's rule of who: the author of a local
// comment.
func commentEditor(c *Comment, by *Actor) error {
	if by == nil || !c.Local || c.AuthorID != by.ID {
		return ErrForbidden
	}
	return nil
}

// MayDeleteComment reports whether by may delete the comment id
// (DeleteComment): its author, or a moderator.
func (s *Store) MayDeleteComment(ctx context.Context, by *Account, id int64) error {
	c, err := s.CommentByID(ctx, id)
	if err != nil {
		return err
	}
	return commentDeleter(c, by)
}

// commentDeleter is DeleteComment's rule of who: the comment's author or
// a moderator.
func commentDeleter(c *Comment, by *Account) error {
	if by == nil || by.Actor == nil {
		return ErrUnauthorized
	}
	if c.AuthorID != by.Actor.ID && !by.IsModerator() {
		return ErrForbidden
	}
	return nil
}

// MayEditProposal reports whether by may edit the proposal id
// (UpdateProposal): its author, on a local proposal.
func (s *Store) MayEditProposal(ctx context.Context, by *Actor, id int64) error {
	p, err := s.ProposalByID(ctx, id)
	if err != nil {
		return err
	}
	return proposalEditor(p, by)
}

func proposalEditor(p *Proposal, by *Actor) error {
	if by == nil || by.ID != p.AuthorID || !p.Local {
		return ErrForbidden
	}
	return nil
}

// MayWritePetitionUpdate reports whether by may post an update to the
// petition petitionID (updateID 0: PostPetitionUpdate, its author) or
// edit its update updateID (EditPetitionUpdate: the update's author or a
// moderator).
func (s *Store) MayWritePetitionUpdate(ctx context.Context, by *Account, petitionID, updateID int64) error {
	p, err := s.visiblePetition(ctx, petitionID)
	if err != nil {
		return err
	}
	if updateID == 0 {
		if by == nil {
			return ErrForbidden
		}
		return petitionAuthor(p, by.Actor)
	}
	u, err := s.PetitionUpdateByID(ctx, p.ID, updateID)
	if err != nil {
		return err
	}
	if !UpdateEditable(by, p, u) {
		return fmt.Errorf("%w: only its author or a moderator edits an update", ErrForbidden)
	}
	return nil
}

func petitionAuthor(p *Petition, by *Actor) error {
	if by == nil || by.ID != p.AuthorID || !p.Local {
		return ErrForbidden
	}
	return nil
}

// MayRespondPetition reports whether by is the addressee of the local
// petition id, who alone responds to it and edits the response
// (RespondPetition, EditPetitionResponse; whether they still may, their
// decider status, is the action's to say).
func (s *Store) MayRespondPetition(ctx context.Context, by *Account, id int64) error {
	p, err := s.visiblePetition(ctx, id)
	if err != nil {
		return err
	}
	return petitionAddressee(p, by)
}

// MayReaddressPetition reports whether by may give a petition a new
// addressee (ReaddressPetition): moderators and administrators.
func MayReaddressPetition(by *Account) error {
	if by == nil || !by.IsModerator() {
		return fmt.Errorf("%w: only moderators give a petition a new addressee", ErrForbidden)
	}
	return nil
}

func petitionAddressee(p *Petition, by *Account) error {
	if by == nil || by.Actor == nil || !p.Local || by.Actor.ID != p.AddresseeID {
		return fmt.Errorf("%w: only the addressee responds to a petition", ErrForbidden)
	}
	return nil
}
