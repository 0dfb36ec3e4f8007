package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/httprate"

	"github.com/opendemocracynow/odn/models"
)

// Votes allowed per client address and minute, on the form and the API
// alike (DESIGN.md §7); a person changes their mind a few times, a script
// hammering the tally is stopped.
const (
	voteAttempts = 60
	voteWindow   = time.Minute
	// argumentsPageSize is the number of arguments per column and page.
	argumentsPageSize = 20
)

func init() {
	extraPageRoutes = append(extraPageRoutes, func(s *Server, r chi.Router) {
		r.Get("/d/{id}", s.debatePage)
		r.Get("/d/{id}/ballots", s.debateBallotsPage)
		r.Get("/about/counting", s.countingPage)
		r.Get("/s/{name}/debates", s.debateList)
		r.Group(func(r chi.Router) {
			r.Use(s.requireAccount)
			r.Get("/s/{name}/debates/new", s.debateForm)
			// Moderators' forms: the role before the form is read
			// (models checks it again).
			r.With(s.requireModerator).Post("/s/{name}/debates/new", s.debateCreate)
			r.With(s.voteLimit()).Post("/d/{id}/vote", s.debateVote)
			r.Post("/d/{id}/withdraw", s.debateWithdraw)
			r.With(s.requireModerator).Post("/d/{id}/open", s.debatePhase(models.DebateOpen))
			r.With(s.requireModerator).Post("/d/{id}/close", s.debatePhase(models.DebateClosed))
			r.Get("/d/{id}/edit", s.debateEditForm)
			r.With(s.requireModerator).Post("/d/{id}/edit", s.debateEdit)
		})
	})
	spaceSections = append(spaceSections, (*Server).debateSpaceSection)
}

// voteLimit rate-limits vote submissions per client address.
func (s *Server) voteLimit() func(http.Handler) http.Handler {
	return httprate.Limit(voteAttempts, voteWindow, httprate.WithKeyFuncs(keyByClient),
		httprate.WithLimitHandler(func(w http.ResponseWriter, r *http.Request) {
			s.errorStatus(w, r, http.StatusTooManyRequests, "error.rate_limited")
		}))
}

// debateFromURL loads the debate of the {id} route parameter and answers
// 404, or 410 for a debate hidden by moderation (moderators still see it).
func (s *Server) debateFromURL(w http.ResponseWriter, r *http.Request) *models.Debate {
	id, err := pathID(r)
	if err != nil {
		s.error(w, r, err)
		return nil
	}
	d, err := s.store.DebateByID(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return nil
	}
	acc := currentAccount(r.Context())
	if hiddenFrom(acc, d.HiddenAt) {
		s.renderHidden(w, r)
		return nil
	}
	if d.Current == models.DebateDraft && !acc.IsModerator() {
		s.error(w, r, models.ErrNotFound) // drafts are the moderators' work in progress
		return nil
	}
	return d
}

// debateView is the data of the debate page.
type debateView struct {
	Debate    *models.Debate
	Space     *models.Space
	Ballot    *models.Ballot
	Results   *models.Results
	Ballots   []models.BallotEntry
	Chart     *chart
	Errors    map[string]string
	Chosen    map[string]bool
	For       *argumentColumn
	Against   *argumentColumn
	Comments  templ.Component
	Moderator bool
	// Refusal is why the debate's consultation refuses votes now, though
	// the debate is open (nil: it takes them, or belongs to none).
	Refusal *models.PhaseError
	// Consultation is the consultation it belongs to (nil: none).
	Consultation *models.ConsultationContext
}

func (v *debateView) setErrors(e map[string]string) { v.Errors = e }

// argumentColumn is one side of the arguments for and against.
type argumentColumn struct {
	CommentThreadData
	Stance string
	Next   int64
	Form   *commentForm
}

func (s *Server) debatePage(w http.ResponseWriter, r *http.Request) {
	if s.wantsActivity(r) {
		s.opts.Federation.ServeObject(w, r, "debate", chi.URLParam(r, "id"))
		return
	}
	if s.anonymousDebatePage(w, r) { // debate_cache.go
		return
	}
	d := s.debateFromURL(w, r)
	if d == nil {
		return
	}
	s.renderDebatePage(w, r, d)
}

// debateView gathers what the debate page shows: the viewer's ballot,
// results when visible, the arguments and the comments.
func (s *Server) debateView(r *http.Request, d *models.Debate) (*debateView, error) {
	cc, err := s.store.ConsultationContextOf(r.Context(), d.ConsultationRef())
	if err != nil {
		return nil, err
	}
	return s.debateViewIn(r, d, cc)
}

// debateViewIn is debateView with the debate's consultation context
// already read (cc, nil for none).
func (s *Server) debateViewIn(r *http.Request, d *models.Debate, cc *models.ConsultationContext) (*debateView, error) {
	ctx := r.Context()
	acc := currentAccount(ctx)
	v := &debateView{Debate: d, Moderator: acc.IsModerator(), Chosen: map[string]bool{}, Consultation: cc}
	var err error
	if d.IsOpen() {
		v.Refusal = v.Consultation.Refusal(models.ActionVote)
	}
	if d.SpaceID != 0 {
		if v.Space, err = s.store.SpaceByID(ctx, d.SpaceID); err != nil {
			return nil, err
		}
	}
	if acc != nil {
		b, err := s.store.MyBallot(ctx, acc.Actor, d)
		if err == nil {
			v.Ballot = b
			for _, o := range b.Options {
				v.Chosen[o] = true
			}
		} else if !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	v.Results, v.Ballots, err = s.store.PublicResults(ctx, acc, d)
	switch {
	case errors.Is(err, models.ErrForbidden):
		v.Results = nil
	case err != nil:
		return nil, err
	default:
		v.Chart = newBarChart(s.localeFor(r), "debate-"+strconv.FormatInt(d.ID, 10), d.Question, v.Results)
	}
	path := "/d/" + strconv.FormatInt(d.ID, 10)
	for _, stance := range []string{models.StanceFor, models.StanceAgainst} {
		after, _ := strconv.ParseInt(r.URL.Query().Get(stance+"_after"), 10, 64)
		page, err := s.store.CommentThreads(ctx, models.CommentQuery{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID,
			Stances: []string{stance}, After: after, Limit: argumentsPageSize, Moderator: v.Moderator})
		if err != nil {
			return nil, err
		}
		col := &argumentColumn{Stance: stance, Next: page.Next,
			CommentThreadData: CommentThreadData{V: s.commentViewer(r, models.ObjectTypeDebate, d.ID, path), Comments: page.Threads,
				None: "debate.no_arguments"},
			Form: &commentForm{Input: models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Stance: stance}, Back: path}}
		if stance == models.StanceFor {
			v.For = col
		} else {
			v.Against = col
		}
	}
	if v.Comments, err = s.commentSection(r, models.ObjectTypeDebate, d.ID); err != nil {
		return nil, err
	}
	return v, nil
}

func (s *Server) debateVote(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	d := s.debateFromURL(w, r)
	if d == nil {
		return
	}
	options := r.PostForm["option"]
	_, err := s.store.CastVote(r.Context(), currentAccount(r.Context()).Actor, d.ID, options)
	var ve *models.ValidationError
	if errors.As(err, &ve) {
		v, verr := s.debateView(r, d)
		if verr != nil {
			s.error(w, r, verr)
			return
		}
		v.Errors = ve.Fields
		v.Chosen = map[string]bool{}
		for _, o := range options {
			v.Chosen[o] = true
		}
		s.render(w, r, http.StatusUnprocessableEntity, debateDetailPage(s.page(r, d.Question), v))
		return
	} else if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/d/"+strconv.FormatInt(d.ID, 10)+"#my-vote", "debate.voted")
}

func (s *Server) debateWithdraw(w http.ResponseWriter, r *http.Request) {
	d := s.debateFromURL(w, r)
	if d == nil {
		return
	}
	flash := "debate.withdrawn"
	err := s.store.WithdrawVote(r.Context(), currentAccount(r.Context()).Actor, d.ID)
	if errors.Is(err, models.ErrNothingToWithdraw) {
		flash, err = "debate.no_vote", nil // sent again, or from a stale page
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	redirect(w, r, "/d/"+strconv.FormatInt(d.ID, 10)+"#vote", flash)
}

// debatePhase opens or closes a debate (moderators).
func (s *Server) debatePhase(phase string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r)
		if err != nil {
			s.error(w, r, err)
			return
		}
		acc := currentAccount(r.Context())
		if phase == models.DebateOpen {
			_, err = s.store.OpenDebate(r.Context(), acc, id)
		} else {
			_, err = s.store.CloseDebate(r.Context(), acc, id)
		}
		if err != nil {
			s.error(w, r, err)
			return
		}
		flash := "debate.opened"
		if phase == models.DebateClosed {
			flash = "debate.closed"
		}
		redirect(w, r, "/d/"+strconv.FormatInt(id, 10), flash)
	}
}

// debateBallotsPage is the public list of receipts of a closed debate,
// from which anyone can recount (docs/COUNTING.md).
func (s *Server) debateBallotsPage(w http.ResponseWriter, r *http.Request) {
	d := s.debateFromURL(w, r)
	if d == nil {
		return
	}
	list, err := s.store.Ballots(r.Context(), d)
	if err != nil {
		s.error(w, r, err)
		return
	}
	v := &debateBallotsView{Debate: d, Ballots: list, Find: strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("receipt")))}
	s.render(w, r, http.StatusOK, debateBallotListPage(s.page(r, s.localeFor(r).T("debate.ballots_title", d.Question)), v))
}

// debateList lists a space's debates by phase (?phase=open|closed|draft).
func (s *Server) debateList(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	acc := currentAccount(r.Context())
	phase := r.URL.Query().Get("phase")
	switch phase {
	case "", models.DebateOpen, models.DebateClosed:
	case models.DebateDraft:
		if !acc.IsModerator() {
			phase = models.DebateOpen
		}
	default:
		// As the API and the other lists: a tampered filter is refused,
		// not read as "all".
		s.error(w, r, models.Invalid("phase", "The phase must be open, closed or draft."))
		return
	}
	before, err := idCursor(r.URL.Query().Get("before"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	debates, err := s.store.ListDebates(r.Context(), models.DebateFilter{SpaceID: sp.ID, Phase: phase, Before: before,
		Limit: 20, Moderator: acc.IsModerator()})
	if err != nil {
		s.error(w, r, err)
		return
	}
	var next int64
	if len(debates) == 20 {
		next = debates[len(debates)-1].ID
	}
	v := &debateListView{Space: sp, Debates: debates, Phase: phase, Next: next,
		Phases: []string{"", models.DebateOpen, models.DebateClosed}}
	s.render(w, r, http.StatusOK, debateListPage(s.page(r, s.localeFor(r).T("debate.list_title", sp.Title)), v))
}

// debateForm is the new-debate form's data; options come one per line.
type debateFormView struct {
	Space    *models.Space
	Input    models.DebateInput
	Options  string
	OpensAt  string
	OpenNow  bool // "open the vote now" was ticked
	ClosesAt string
	Consult  string // consultation id, from ?consultation=
	Errors   map[string]string
	Dropped  bool // a refused consultation was left out
	// Consultation is the consultation the new debate will join, nil for
	// none.
	Consultation *formConsultation
	// Visibilities are the results-visibility choices.
	Visibilities []string
}

// setErrors leaves out a refused consultation, as petitionForm.setErrors
// does.
func (f *debateFormView) setErrors(e map[string]string) {
	f.Errors = e
	if e["consultation"] != "" {
		f.Consult, f.Dropped = "", true
	}
}

var visibilities = []string{models.ResultsLive, models.ResultsAfterClose}

// formTimeLayout is the value format of <input type="datetime-local">;
// times are UTC (said in the form's hint).
const formTimeLayout = "2006-01-02T15:04"

func (s *Server) debateForm(w http.ResponseWriter, r *http.Request) {
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	if !currentAccount(r.Context()).IsModerator() {
		s.error(w, r, models.ErrForbidden)
		return
	}
	f := &debateFormView{Space: sp, Input: models.DebateInput{ResultsVisibility: models.ResultsLive}, Visibilities: visibilities,
		Consult: r.URL.Query().Get("consultation")}
	// A link's consultation that is not an id is refused now, as the
	// petition form does, not once the form is filled in.
	v := &models.ValidationError{}
	consultation := models.ParseRef(v, "consultation", f.Consult)
	if err := v.Err(); err != nil {
		s.error(w, r, err)
		return
	}
	if f.Consultation, err = s.formConsultationOf(r, consultation, 0); err != nil {
		s.error(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, debateFormPage(s.page(r, s.localeFor(r).T("debate.new")), f))
}

func (s *Server) debateCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		s.badForm(w, r, err)
		return
	}
	sp, err := s.store.SpaceByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		s.error(w, r, err)
		return
	}
	f := &debateFormView{Space: sp, Options: r.PostFormValue("options"), OpensAt: r.PostFormValue("opens_at"),
		OpenNow: r.PostFormValue("open_now") == "true", ClosesAt: r.PostFormValue("closes_at"),
		Consult: r.PostFormValue("consultation"), Visibilities: visibilities}
	f.Input = models.DebateInput{
		Question: r.PostFormValue("question"), Description: r.PostFormValue("description"),
		Options:  strings.Split(strings.ReplaceAll(f.Options, "\r\n", "\n"), "\n"),
		Multiple: r.PostFormValue("multiple") == "true", ResultsVisibility: r.PostFormValue("results_visibility"),
		PublicBallot: r.PostFormValue("public_ballot") == "true",
	}
	ve := &models.ValidationError{}
	f.Input.OpensAt = formTime(ve, "opens_at", f.OpensAt)
	f.Input.ClosesAt = formTime(ve, "closes_at", f.ClosesAt)
	f.Input.ConsultationID = models.ParseRef(ve, "consultation", f.Consult)
	if f.OpenNow && f.Input.OpensAt == nil {
		now := s.now()
		f.Input.OpensAt = &now
	}
	var d *models.Debate
	if err = withRules(ve, func() error { return f.Input.Validate(s.now()) }); err == nil {
		d, err = s.store.CreateDebate(r.Context(), currentAccount(r.Context()), sp, f.Input)
	}
	if err != nil {
		f.Consultation, _ = s.formConsultationOf(r, f.Input.ConsultationID, 0) // nil on error: the form without it
	}
	if formError(s, w, r, err, "debate.new", f, debateFormPage) {
		return
	}
	redirect(w, r, "/d/"+strconv.FormatInt(d.ID, 10), "debate.created")
}

// formTime parses a datetime-local value (UTC); empty is nil.
func formTime(ve *models.ValidationError, field, v string) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	t, err := time.Parse(formTimeLayout, v)
	if err != nil {
		if t, err = time.Parse(time.RFC3339, v); err != nil {
			ve.Add(field, "Enter a date and time such as 2026-12-31T18:00.")
			return nil
		}
	}
	t = t.UTC()
	return &t
}

// debateSpaceSection lists a space's open debates on the space page.
func (s *Server) debateSpaceSection(r *http.Request, sp *models.Space) (templ.Component, error) {
	acc := currentAccount(r.Context())
	debates, err := s.store.ListDebates(r.Context(), models.DebateFilter{SpaceID: sp.ID, Phase: models.DebateOpen, Limit: 5})
	if err != nil {
		return nil, err
	}
	return debateSpaceList(s.localeFor(r), acc, sp, debates), nil
}

// countingPage explains in plain words how votes are counted, what a
// receipt is and how to check and recount (docs/COUNTING.md for details).
func (s *Server) countingPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, debateCountingPage(s.page(r, s.localeFor(r).T("counting.title"))))
}
