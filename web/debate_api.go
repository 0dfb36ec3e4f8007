package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

func init() {
	extraAPIRoutes = append(extraAPIRoutes, func(s *Server, r chi.Router) {
		r.Get("/spaces/{name}/debates", s.apiDebates)
		r.Get("/debates/{id}", s.apiDebate)
		r.Get("/debates/{id}/results", s.apiDebateResults)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			// Moderators' (models checks again), refused before the
			// body is read.
			r.With(s.requireModerator).Post("/spaces/{name}/debates", s.apiCreateDebate)
			r.With(s.requireModerator).Patch("/debates/{id}", s.apiUpdateDebate)
			r.Post("/debates/{id}/open", s.apiDebatePhase(models.DebateOpen))
			r.Post("/debates/{id}/close", s.apiDebatePhase(models.DebateClosed))
			r.With(s.voteLimit()).Post("/debates/{id}/votes", s.apiVote)
			r.Delete("/debates/{id}/votes", s.apiWithdrawVote)
		})
	})
}

// apiDebateJSON is a debate in the API (DESIGN.md §8).
type apiDebateJSON struct {
	apiObject
	Space             string     `json:"space,omitempty"`
	Question          string     `json:"question"`
	Description       string     `json:"description"`
	DescriptionHTML   string     `json:"description_html"`
	Options           []string   `json:"options"`
	Multiple          bool       `json:"multiple"`
	Phase             string     `json:"phase"`
	OpensAt           *time.Time `json:"opens_at"`
	ClosesAt          *time.Time `json:"closes_at"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	ResultsVisibility string     `json:"results_visibility"`
	PublicBallot      bool       `json:"public_ballot"`
	Voters            *int       `json:"voters,omitempty"`
	Consultation      string     `json:"consultation,omitempty"`
	Hidden            bool       `json:"hidden,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
}

func (s *Server) debateJSON(d *models.Debate, spaceName string, viewer *models.Account) apiDebateJSON {
	out := apiDebateJSON{
		apiObject: apiObject{ID: strconv.FormatInt(d.ID, 10), URI: d.URI, URL: s.opts.BaseURL + "/d/" + strconv.FormatInt(d.ID, 10)},
		Space:     spaceName, Question: d.Question, Description: d.Description, DescriptionHTML: d.DescriptionHTML,
		Options: d.Options, Multiple: d.Multiple, Phase: d.Current, OpensAt: d.OpensAt, ClosesAt: d.ClosesAt, ClosedAt: d.ClosedAt,
		ResultsVisibility: d.ResultsVisibility, PublicBallot: d.PublicBallot, Hidden: d.Hidden(), CreatedAt: d.CreatedAt,
	}
	if !d.Local {
		out.Origin = d.Origin
	}
	if d.ResultsVisible(viewer) {
		out.Voters = &d.Voters
	}
	if d.ConsultationID != 0 {
		out.Consultation = strconv.FormatInt(d.ConsultationID, 10)
	}
	return out
}

func (s *Server) apiDebates(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	cursor, limit := pageParams(r)
	before, err := idCursor(cursor)
	if err != nil {
		s.error(w, r, err)
		return
	}
	phase := r.URL.Query().Get("phase")
	switch phase {
	case "", models.DebateOpen, models.DebateClosed, models.DebateDraft:
	default:
		s.error(w, r, models.Invalid("phase", "The phase must be open, closed or draft."))
		return
	}
	debates, err := s.store.ListDebates(r.Context(), models.DebateFilter{SpaceID: sp.ID, Phase: phase, Before: before,
		Limit: limit, Moderator: acc.IsModerator()})
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := list[apiDebateJSON]{Items: []apiDebateJSON{}}
	for _, d := range debates {
		out.Items = append(out.Items, s.debateJSON(d, sp.Name, acc))
	}
	if len(debates) == limit {
		out.NextCursor = strconv.FormatInt(debates[len(debates)-1].ID, 10)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiCreateDebate(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in struct {
		models.DebateInput
		Consultation idInput `json:"consultation"` // a string, as ids are (a number too)
	}
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	v := &models.ValidationError{}
	if in.ConsultationID = in.Consultation.ref(v, "consultation"); v.Err() != nil {
		s.error(w, r, v.Err())
		return
	}
	acc := currentAccount(r.Context())
	d, err := s.store.CreateDebate(r.Context(), acc, sp, in.DebateInput)
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.Header().Set("Location", s.opts.BaseURL+"/api/v1/debates/"+strconv.FormatInt(d.ID, 10))
	writeJSON(w, http.StatusCreated, s.debateJSON(d, sp.Name, acc))
}

// apiUpdateDebate edits a debate (moderators): the fields sent replace
// the debate's, the others stay; models.UpdateDebate says which may still
// change.
func (s *Server) apiUpdateDebate(w http.ResponseWriter, r *http.Request) {
	want, err := ifMatch(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	d, name := s.apiDebateFromURL(w, r)
	if d == nil {
		return
	}
	body, err := readJSON(w, r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	id := d.ID
	err = remerge(want, d.Version, func() (int64, error) {
		var err error
		if d, err = s.store.DebateByID(r.Context(), id); err != nil {
			return 0, err
		}
		return d.Version, nil
	}, func(ifVersion int64) error {
		in := struct {
			models.DebateInput
			Consultation idInput `json:"consultation"` // as at creation; it cannot change
		}{DebateInput: d.Input()}
		if err := decodeJSONBytes(body, &in); err != nil {
			return err
		}
		v := &models.ValidationError{}
		if in.ConsultationID = in.Consultation.ref(v, "consultation"); v.Err() != nil {
			return v.Err()
		}
		in.IfVersion = ifVersion
		updated, err := s.store.UpdateDebate(r.Context(), acc, id, in.DebateInput)
		if err == nil {
			d = updated
		}
		return err
	})
	if err != nil {
		s.error(w, r, err)
		return
	}
	setETag(w, d.Version)
	writeJSON(w, http.StatusOK, s.debateJSON(d, name, acc))
}

// apiDebateFromURL loads the {id} debate, 410 when hidden (but for
// moderators), 404 for drafts (but for moderators).
func (s *Server) apiDebateFromURL(w http.ResponseWriter, r *http.Request) (*models.Debate, string) {
	d := s.debateFromURL(w, r)
	if d == nil {
		return nil, ""
	}
	name := ""
	if d.SpaceID != 0 {
		sp, err := s.store.SpaceByID(r.Context(), d.SpaceID)
		if err != nil {
			s.error(w, r, err)
			return nil, ""
		}
		name = sp.Name
	}
	return d, name
}

// apiDebateView is a debate with the caller's ballot, if any.
type apiDebateView struct {
	apiDebateJSON
	MyVote *apiBallot `json:"my_vote,omitempty"`
	// ParticipationClosed: the consultation's phase refuses votes now.
	ParticipationClosed *apiPhaseRefusal `json:"participation_closed,omitempty"`
}

// apiBallot is the answer to a vote: the receipt and the chosen options.
type apiBallot struct {
	Receipt string   `json:"receipt"`
	Options []string `json:"options"`
}

func (s *Server) apiDebate(w http.ResponseWriter, r *http.Request) {
	d, name := s.apiDebateFromURL(w, r)
	if d == nil {
		return
	}
	acc := currentAccount(r.Context())
	out := apiDebateView{apiDebateJSON: s.debateJSON(d, name, acc)}
	var err error
	if out.ParticipationClosed, err = s.participationClosed(r, d.ConsultationRef()); err != nil {
		s.error(w, r, err)
		return
	}
	if acc != nil {
		b, err := s.store.MyBallot(r.Context(), acc.Actor, d)
		if err == nil {
			out.MyVote = &apiBallot{Receipt: b.Receipt, Options: b.Options}
		} else if !errors.Is(err, models.ErrNotFound) {
			s.error(w, r, err)
			return
		}
	}
	setETag(w, d.Version)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) apiDebatePhase(phase string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		acc := currentAccount(r.Context())
		var d *models.Debate
		if phase == models.DebateOpen {
			d, err = s.store.OpenDebate(r.Context(), acc, id)
		} else {
			d, err = s.store.CloseDebate(r.Context(), acc, id)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, s.debateJSON(d, "", acc))
	}
}

type apiVoteInput struct {
	Options []string `json:"options"`
}

func (s *Server) apiVote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var in apiVoteInput
	if err := decodeJSON(w, r, &in); err != nil {
		s.error(w, r, err)
		return
	}
	b, err := s.store.CastVote(r.Context(), currentAccount(r.Context()).Actor, id, in.Options)
	if err != nil {
		s.error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, apiBallot{Receipt: b.Receipt, Options: b.Options})
}

func (s *Server) apiWithdrawVote(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	if err := s.store.WithdrawVote(r.Context(), currentAccount(r.Context()).Actor, id); err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// apiResults is GET /api/v1/debates/{id}/results: the tally, and once the
// debate is closed the ballot list by receipt for anyone to recount.
type apiResults struct {
	*models.Results
	// Ballots is set ([]models.BallotEntry, maybe empty) once closed.
	Ballots any `json:"ballots,omitempty"`
}

func (s *Server) apiDebateResults(w http.ResponseWriter, r *http.Request) {
	d, _ := s.apiDebateFromURL(w, r)
	if d == nil {
		return
	}
	res, ballots, err := s.store.PublicResults(r.Context(), currentAccount(r.Context()), d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := apiResults{Results: res}
	if ballots != nil {
		out.Ballots = ballots
	}
	writeJSON(w, http.StatusOK, out)
}
