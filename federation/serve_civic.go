package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// Serving local civic objects: the ActivityStreams form of proposals,
// debates, petitions, comments, news and syntheses (web's permalinks call
// ServeObject), the ids that have no page of their own (answers,
// responses, petition updates, replies and likes collections), and the
// items of actors' outboxes. Deleted and hidden objects answer 410 with a
// Tombstone, unknown ones 404, drafts 404.

// Object kinds served through ServeObject besides web's.
const (
	kindProposalAnswer   = "proposal-answer"
	kindPetitionResponse = "petition-response"
	kindPetitionUpdate   = "petition-update"
	kindSynthesis        = "synthesis"
	kindConsultation     = "consultation"
)

func init() {
	for kind := range civicLoaders {
		objectServers[kind] = func(r *http.Request, s *Service, id string) (doc, error) {
			return s.civicDoc(r.Context(), kind, id)
		}
	}
	extraRoutes = append(extraRoutes, mountCivic)
	outboxSources = append(outboxSources, civicOutbox)
}

// civicLoaders build the document of a local object by kind and id (an
// id "7/3" for a petition update is petition 7, update 3).
var civicLoaders = map[string]func(ctx context.Context, s *Service, id string) (doc, error){
	models.ObjectTypeProposal: func(ctx context.Context, s *Service, id string) (doc, error) {
		p, err := s.localProposal(ctx, id, "Note")
		if err != nil {
			return nil, err
		}
		n, err := s.proposalDoc(ctx, p)
		if err != nil {
			return nil, err
		}
		return s.withCountsSent(ctx, n, models.ObjectTypeProposal, p.ID)
	},
	kindProposalAnswer: func(ctx context.Context, s *Service, id string) (doc, error) {
		p, err := s.localProposal(ctx, id, "Note")
		if err != nil {
			return nil, err
		}
		if p.AnswerHTML == "" || p.Answerer == nil {
			return nil, models.ErrNotFound
		}
		answerer, _, err := s.firstAnswerer(ctx, p)
		if err != nil {
			return nil, err
		}
		return ProposalAnswerToNote(p, answerer), nil
	},
	models.ObjectTypeDebate: func(ctx context.Context, s *Service, id string) (doc, error) {
		d, sp, err := s.localDebate(ctx, id)
		if err != nil {
			return nil, err
		}
		q, err := s.debateDoc(ctx, d, sp)
		if err != nil {
			return nil, err
		}
		return s.withCountsSent(ctx, q, models.ObjectTypeDebate, d.ID)
	},
	models.ObjectTypePetition: func(ctx context.Context, s *Service, id string) (doc, error) {
		p, err := s.localPetition(ctx, id)
		if err != nil {
			return nil, err
		}
		q, err := s.petitionDoc(ctx, p)
		if err != nil {
			return nil, err
		}
		return s.withCountsSent(ctx, q, models.ObjectTypePetition, p.ID)
	},
	kindPetitionResponse: func(ctx context.Context, s *Service, id string) (doc, error) {
		p, err := s.localPetition(ctx, id)
		if err != nil {
			return nil, err
		}
		if p.ResponseHTML == "" || p.Addressee == nil {
			return nil, models.ErrNotFound
		}
		return PetitionResponseToNote(p), nil
	},
	kindPetitionUpdate: func(ctx context.Context, s *Service, id string) (doc, error) {
		var pid, uid int64
		if _, err := fmt.Sscanf(id, "%d/%d", &pid, &uid); err != nil {
			return nil, models.ErrNotFound
		}
		p, err := s.localPetition(ctx, strconv.FormatInt(pid, 10))
		if err != nil {
			return nil, err
		}
		u, err := s.store.PetitionUpdateByID(ctx, pid, uid)
		if err != nil {
			return nil, err
		}
		return PetitionUpdateToNote(p, u), nil
	},
	models.ObjectTypeComment: func(ctx context.Context, s *Service, id string) (doc, error) {
		c, err := s.localComment(ctx, id)
		if err != nil {
			return nil, err
		}
		return s.commentDoc(ctx, c)
	},
	"news": func(ctx context.Context, s *Service, id string) (doc, error) {
		n, sp, err := s.localNews(ctx, id)
		if err != nil {
			return nil, err
		}
		return NewsToNote(n, sp), nil
	},
	kindConsultation: func(ctx context.Context, s *Service, id string) (doc, error) {
		cid, err := parseID(id)
		if err != nil {
			return nil, err
		}
		c, err := s.store.ConsultationRecord(ctx, cid)
		if err != nil {
			return nil, err
		}
		if c.DeletedAt != nil {
			// Withdrawn: Gone, which a peer refreshing its copies'
			// consultation reads as the withdrawal.
			return nil, hiddenGone(c.URI, "OrderedCollection", *c.DeletedAt)
		}
		return s.consultationDoc(ctx, c)
	},
	kindSynthesis: func(ctx context.Context, s *Service, id string) (doc, error) {
		cid, err := parseID(id)
		if err != nil {
			return nil, err
		}
		syn, err := s.store.SynthesisOf(ctx, cid, false)
		if err != nil {
			return nil, err
		}
		c, err := s.store.ConsultationByID(ctx, cid)
		if err != nil {
			return nil, s.goneOr(ctx, syn.URI, err) // deleted with its consultation
		}
		sp, err := s.store.SpaceByID(ctx, c.SpaceID)
		if err != nil {
			return nil, err
		}
		return s.synthesisNote(ctx, syn, c, sp)
	},
}

// civicDoc answers ServeObject for a civic kind.
func (s *Service) civicDoc(ctx context.Context, kind, id string) (doc, error) {
	load, ok := civicLoaders[kind]
	if !ok {
		return nil, models.ErrNotFound
	}
	return load(ctx, s, id)
}

func parseID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, models.ErrNotFound
	}
	return n, nil
}

// withCountsSent dates a served proposal, debate or petition no earlier
// than the last count Update sent for it. Counts change without touching
// updated_at (supports, signatures and votes stay one cheap UPDATE), and
// that Update carries the time it was sent (UpdateCivic); a copy that
// refreshes by fetching takes the document only if it is not older than
// the one it holds, so the served `updated` is the later of the object's
// own and that send time (recorded after the Update was made: one read
// of civic_count_updates by primary key).
func (s *Service) withCountsSent(ctx context.Context, d doc, objectType string, id int64) (doc, error) {
	cu, err := s.store.CountUpdateOf(ctx, objectType, id)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return d, nil
	case err != nil:
		return nil, err
	case cu.SentAt == nil:
		return d, nil
	}
	updated, _ := d["updated"].(string)
	if updated == "" {
		updated, _ = d["published"].(string)
	}
	if t, err := time.Parse(time.RFC3339, updated); err != nil || cu.SentAt.Truncate(time.Millisecond).After(t) {
		d["updated"] = updatedStamp(*cu.SentAt)
	}
	return d, nil
}

// goneOr turns "not found" into Gone when uri was deleted (tombstoned).
func (s *Service) goneOr(ctx context.Context, uri string, err error) error {
	if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if t, terr := s.store.TombstoneByURI(ctx, uri); terr == nil {
		return &Gone{Tombstone: tombstoneDoc(t.URI, t.Type, t.DeletedAt)}
	}
	return err
}

// hiddenGone is the 410 of an object hidden by moderation.
func hiddenGone(uri, formerType string, at time.Time) error {
	return &Gone{Tombstone: tombstoneDoc(uri, formerType, at)}
}

func (s *Service) localProposal(ctx context.Context, id, _ string) (*models.Proposal, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	p, err := s.store.ProposalByID(ctx, n)
	if err != nil {
		return nil, s.goneOr(ctx, s.store.URLs.Base+"/p/"+id, err)
	}
	if !p.Local {
		return nil, models.ErrNotFound
	}
	if p.HiddenAt != nil {
		return nil, hiddenGone(p.URI, "Note", *p.HiddenAt)
	}
	return p, nil
}

// consultationDoc is the OrderedCollection of consultation c, with its
// items and its published synthesis.
func (s *Service) consultationDoc(ctx context.Context, c *models.Consultation) (doc, error) {
	sp, err := s.store.SpaceByID(ctx, c.SpaceID)
	if err != nil {
		return nil, err
	}
	items, err := s.store.ConsultationItemIDs(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	synthesis := ""
	if syn, err := s.store.SynthesisOf(ctx, c.ID, false); err == nil {
		synthesis = syn.URI
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	return ConsultationToCollection(c, sp, items, synthesis), nil
}

// proposalDoc is the Note of a proposal, naming its consultation.
func (s *Service) proposalDoc(ctx context.Context, p *models.Proposal) (doc, error) {
	threshold := 0
	if p.Space != nil {
		threshold = p.Space.SupportThreshold
	}
	n := ProposalToNote(s.store.URLs.Base, p, threshold)
	return n, s.withConsultation(ctx, n, p.ConsultationID, p.Space, false)
}

func (s *Service) localDebate(ctx context.Context, id string) (*models.Debate, *models.Space, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.store.DebateByID(ctx, n)
	if err != nil {
		return nil, nil, s.goneOr(ctx, s.store.URLs.DebateURI(n), err)
	}
	if !d.Local || d.Current == models.DebateDraft {
		return nil, nil, models.ErrNotFound
	}
	var sp *models.Space
	if d.SpaceID != 0 {
		if sp, err = s.store.SpaceByID(ctx, d.SpaceID); err != nil {
			return nil, nil, err
		}
	}
	if d.HiddenAt != nil {
		former, err := s.formerPollType(ctx, DebateToQuestion(d, sp, nil), d.ConsultationID)
		if err != nil {
			return nil, nil, err
		}
		return nil, nil, hiddenGone(d.URI, former, *d.HiddenAt)
	}
	return d, sp, nil
}

// formerPollType is the formerType of the Tombstone of a local debate or
// petition whose Question (before its consultation's phases) is q, of
// consultation consultationID (0: none): a Note while its poll waits for
// the contribution phase, as it then goes out (pollFormerType).
func (s *Service) formerPollType(ctx context.Context, q doc, consultationID int64) (string, error) {
	var c *models.Consultation
	if consultationID != 0 {
		var err error
		if c, err = s.store.ConsultationRecord(ctx, consultationID); err != nil {
			return "", err
		}
	}
	return pollFormerType(q, c, s.store.Now()), nil
}

// debateDoc is the Question of a debate with its current tally, closing
// when its consultation stops taking votes if that comes first.
func (s *Service) debateDoc(ctx context.Context, d *models.Debate, sp *models.Space) (doc, error) {
	var r *models.Results
	if d.ResultsVisible(nil) {
		var err error
		if r, err = s.store.Results(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	q := DebateToQuestion(d, sp, r)
	return q, s.withConsultation(ctx, q, d.ConsultationID, sp, true)
}

// petitionDoc is the Question of a petition, closing when its
// consultation stops taking signatures if that comes first.
func (s *Service) petitionDoc(ctx context.Context, p *models.Petition) (doc, error) {
	q := PetitionToQuestion(p, s.store.Now())
	return q, s.withConsultation(ctx, q, p.ConsultationID, p.Space, true)
}

// withConsultation names on obj, a local proposal, debate or petition,
// its consultation consultationID (0: none, nothing read) with its phases
// (odn:consultation), which odn peers apply to their copies; a poll also
// closes when the consultation stops taking votes (pollEndsBy), which is
// what Mastodon reads.
func (s *Service) withConsultation(ctx context.Context, obj doc, consultationID int64, sp *models.Space, poll bool) error {
	if consultationID == 0 {
		return nil
	}
	c, err := s.store.ConsultationRecord(ctx, consultationID)
	if err != nil {
		return err
	}
	if sp == nil || sp.ID != c.SpaceID || sp.Actor == nil { // the object's space is its consultation's
		if sp, err = s.store.SpaceByID(ctx, c.SpaceID); err != nil {
			return err
		}
	}
	inConsultation(obj, c, sp, poll, s.store.Now())
	return nil
}

func (s *Service) localPetition(ctx context.Context, id string) (*models.Petition, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	p, err := s.store.PetitionByID(ctx, n)
	if err != nil {
		return nil, s.goneOr(ctx, s.store.URLs.Base+"/pe/"+id, err)
	}
	if !p.Local {
		return nil, models.ErrNotFound
	}
	if p.HiddenAt != nil {
		former, err := s.formerPollType(ctx, PetitionToQuestion(p, s.store.Now()), p.ConsultationID)
		if err != nil {
			return nil, err
		}
		return nil, hiddenGone(p.URI, former, *p.HiddenAt)
	}
	return p, nil
}

func (s *Service) localComment(ctx context.Context, id string) (*models.Comment, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	c, err := s.store.CommentByID(ctx, n)
	if err != nil {
		return nil, s.goneOr(ctx, s.store.URLs.CommentURI(n), err)
	}
	if !c.Local {
		return nil, models.ErrNotFound
	}
	if c.DeletedAt != nil {
		return nil, hiddenGone(c.URI, "Note", *c.DeletedAt)
	}
	// As its page answers a visitor: 404 on a draft debate, 410 when the
	// comment, one it answers or its object is hidden. The outbox uses
	// this too, so such a comment is not published either.
	hiddenAt, err := s.store.CommentHiddenAt(ctx, nil, c)
	if err != nil {
		return nil, err
	}
	if hiddenAt != nil {
		return nil, hiddenGone(c.URI, "Note", *hiddenAt)
	}
	return c, nil
}

// commentDoc is the Note of a local comment.
func (s *Service) commentDoc(ctx context.Context, c *models.Comment) (doc, error) {
	t, parent, err := s.commentContext(ctx, c)
	if err != nil {
		return nil, err
	}
	return CommentToNote(c, t, parent), nil
}

// commentContext loads what a comment's Note is made of besides the
// comment: its target and the author of the comment it answers (nil for
// a top-level comment, or when that comment is gone).
func (s *Service) commentContext(ctx context.Context, c *models.Comment) (CivicTarget, *models.Actor, error) {
	t, err := s.civicTarget(ctx, c.ObjectType, c.ObjectID)
	if err != nil {
		return t, nil, err
	}
	if c.ParentID == 0 {
		return t, nil, nil
	}
	pc, err := s.store.CommentByID(ctx, c.ParentID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return t, nil, nil
	case err != nil:
		return t, nil, err
	}
	return t, pc.Author, nil
}

// civicTarget loads what a comment needs of its proposal, debate or
// petition (local or a remote copy).
func (s *Service) civicTarget(ctx context.Context, typ string, id int64) (CivicTarget, error) {
	var t CivicTarget
	var authorID, spaceID int64
	switch typ {
	case models.ObjectTypeProposal:
		p, err := s.store.ProposalByID(ctx, id)
		if err != nil {
			return t, err
		}
		t.URI, t.Author, t.Space, t.Out = p.URI, p.Author, p.Space, p.CreatedAt
		return t, nil
	case models.ObjectTypePetition:
		p, err := s.store.PetitionByID(ctx, id)
		if err != nil {
			return t, err
		}
		t.URI, t.Author, t.Space, t.Out = p.URI, p.Author, p.Space, p.CreatedAt
		return t, nil
	case models.ObjectTypeDebate:
		d, err := s.store.DebateByID(ctx, id)
		if err != nil {
			return t, err
		}
		// Its draft comments go out when it opens.
		t.URI, t.Author, authorID, spaceID, t.Out = d.URI, d.Author, d.AuthorID, d.SpaceID, debateOut(d)
	default:
		return t, models.ErrNotFound
	}
	if t.Author == nil && authorID != 0 {
		a, err := s.store.ActorByID(ctx, authorID)
		if err != nil {
			return t, err
		}
		t.Author = a
	}
	if spaceID != 0 {
		sp, err := s.store.SpaceByID(ctx, spaceID)
		if err != nil {
			return t, err
		}
		t.Space = sp
	}
	return t, nil
}

func (s *Service) localNews(ctx context.Context, id string) (*models.News, *models.Space, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, nil, err
	}
	news, err := s.store.NewsByID(ctx, n)
	if err != nil {
		return nil, nil, s.goneOr(ctx, s.store.URLs.NewsURI(n), err)
	}
	sp, err := s.store.SpaceByID(ctx, news.SpaceID)
	if err != nil {
		return nil, nil, err
	}
	return news, sp, nil
}

// mountCivic adds the GET routes of civic ids without a page of their
// own. Browsers are redirected to the object's page.
func mountCivic(s *Service, r chi.Router) {
	r.Get("/p/{id}/answer", s.serveCivicPart(kindProposalAnswer, "/p/{id}"))
	r.Get("/pe/{id}/response", s.serveCivicPart(kindPetitionResponse, "/pe/{id}"))
	r.Get("/pe/{id}/updates/{uid}", s.serveCivicPart(kindPetitionUpdate, "/pe/{id}"))
	for prefix, typ := range map[string]string{
		"/p": models.ObjectTypeProposal, "/d": models.ObjectTypeDebate,
		"/pe": models.ObjectTypePetition, "/c": models.ObjectTypeComment,
	} {
		r.Get(prefix+"/{id}"+RepliesSuffix, s.serveReplies(typ, prefix+"/{id}"))
	}
	r.Get("/p/{id}/likes", s.serveLikes)
}

// pagePath fills {id} of a page path pattern.
func pagePath(pattern, id string) string {
	return strings.Replace(pattern, "{id}", url.PathEscape(id), 1)
}

// serveCivicPart serves an answer, a response or a petition update.
func (s *Service) serveCivicPart(kind, page string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !s.WantsActivity(r) {
			http.Redirect(w, r, pagePath(page, id), http.StatusSeeOther)
			return
		}
		if uid := chi.URLParam(r, "uid"); uid != "" {
			id += "/" + uid
		}
		s.ServeObject(w, r, kind, id)
	}
}

// serveReplies answers the replies collection of an object: a
// Collection with totalItems and a first page, or with ?page=N that
// CollectionPage, listing the ids of the visible direct replies.
func (s *Service) serveReplies(typ, page string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := chi.URLParam(r, "id")
		if !s.WantsActivity(r) {
			http.Redirect(w, r, pagePath(page, id)+"#comments", http.StatusSeeOther)
			return
		}
		if !s.authorizeFetch(w, r) {
			return
		}
		ctx := r.Context()
		// The object itself must be public: a hidden or deleted one
		// answers 410, an unknown one 404.
		base, err := s.civicDoc(ctx, typ, id)
		if err != nil {
			s.writeResult(w, r, nil, err)
			return
		}
		n, _ := parseID(id)
		pageNo, _ := strconv.Atoi(r.URL.Query().Get("page"))
		if pageNo < 0 || pageNo > 100000 {
			pageNo = 0
		}
		offset := max(pageNo-1, 0) * collectionPageSize
		total, uris, err := s.store.ReplyURIs(ctx, typ, n, offset, collectionPageSize)
		if err != nil {
			s.writeResult(w, r, nil, err)
			return
		}
		cid := idOf(base["id"]) + RepliesSuffix
		if pageNo == 0 {
			d := doc{"id": cid, "type": "Collection", "totalItems": total}
			if total > 0 {
				d["first"] = cid + "?page=1"
			}
			s.writeDoc(w, r, http.StatusOK, d)
			return
		}
		items := make([]any, len(uris))
		for i, u := range uris {
			items[i] = u
		}
		d := doc{"id": fmt.Sprintf("%s?page=%d", cid, pageNo), "type": "CollectionPage", "partOf": cid, "items": items}
		if offset+collectionPageSize < total && len(items) > 0 {
			d["next"] = fmt.Sprintf("%s?page=%d", cid, pageNo+1)
		}
		s.writeDoc(w, r, http.StatusOK, d)
	}
}

// serveLikes answers a proposal's likes collection: only its size
// (supports), like Mastodon's.
func (s *Service) serveLikes(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if !s.WantsActivity(r) {
		http.Redirect(w, r, pagePath("/p/{id}", id), http.StatusSeeOther)
		return
	}
	if !s.authorizeFetch(w, r) {
		return
	}
	p, err := s.localProposal(r.Context(), id, "Note")
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	s.writeDoc(w, r, http.StatusOK, doc{"id": p.URI + "/likes", "type": "Collection", "totalItems": p.SupportsCount})
}

// civicOutbox lists an actor's public civic activities: for a person the
// Create of each object they wrote (proposals, petitions, debates,
// comments), for a space (Group) the Announce of each object in it.
func civicOutbox(ctx context.Context, s *Service, a *models.Actor, offset, limit int) (int, []any, error) {
	var authorID, spaceID int64
	switch {
	case a.Type == models.ActorGroup && a.SpaceID != nil:
		spaceID = *a.SpaceID
	case a.Type == models.ActorPerson:
		authorID = a.ID
	default:
		return 0, nil, nil
	}
	total, refs, err := s.store.PublicContributions(ctx, authorID, spaceID, offset, limit)
	if err != nil {
		return 0, nil, err
	}
	items := make([]any, 0, len(refs))
	for _, ref := range refs {
		id := strconv.FormatInt(ref.ID, 10)
		d, err := s.civicDoc(ctx, ref.Type, id)
		var gone *Gone
		if errors.As(err, &gone) || errors.Is(err, models.ErrNotFound) {
			continue // hidden or deleted since the count
		} else if err != nil {
			return 0, nil, err
		}
		if spaceID != 0 {
			uri := idOf(d["id"])
			items = append(items, AnnounceDoc(a, uri, uri+"#object"))
			continue
		}
		items = append(items, CreateCivic(a, d))
	}
	return total, items, nil
}
