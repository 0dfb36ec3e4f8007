package federation

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// collectionPageSize is the page size of followers, following and outbox.
const collectionPageSize = 50

// htmlPage is where a browser asking for an actor id goes.
func htmlPage(a *models.Actor) string {
	if a.URL != "" {
		return a.URL
	}
	return a.URI
}

// serveActor answers GET /actors/{name}: the actor document to peers
// (through the same checks as every object), a redirect to the profile
// page (/@name or /s/name) for browsers.
func (s *Service) serveActor(w http.ResponseWriter, r *http.Request) {
	name := chi.URLParam(r, "name")
	if !s.WantsActivity(r) {
		a, err := s.actorByName(r, name)
		if err != nil {
			s.writeResult(w, r, nil, err)
			return
		}
		http.Redirect(w, r, htmlPage(a), http.StatusSeeOther)
		return
	}
	s.ServeObject(w, r, "user", name)
}

// serveInstanceActor answers GET /actor: always without a signature, so
// peers with authorized fetch can get the key that signs our GETs.
func (s *Service) serveInstanceActor(w http.ResponseWriter, r *http.Request) {
	a, err := s.store.InstanceActor(r.Context())
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	if !s.WantsActivity(r) {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.writeDoc(w, r, http.StatusOK, actorToDoc(a))
}

// outboxSources count and list an actor's public activities for its
// outbox; the civic mapping registers one (activities of a space's
// proposals, a user's contributions). Without any, the outbox is empty.
var outboxSources []func(ctx context.Context, s *Service, a *models.Actor, offset, limit int) (total int, items []any, err error)

// serveOutbox answers the paged outbox OrderedCollection.
func (s *Service) serveOutbox(w http.ResponseWriter, r *http.Request) {
	s.serveCollection(w, r, func(a *models.Actor) string { return a.Outbox },
		func(ctx context.Context, a *models.Actor, offset int) (int, []any, error) {
			total, items := 0, []any{}
			for _, src := range outboxSources {
				n, it, err := src(ctx, s, a, offset, collectionPageSize)
				if err != nil {
					return 0, nil, err
				}
				total += n
				items = append(items, it...)
			}
			return total, items, nil
		})
}

// serveFollowers answers the followers collection. Items are listed for
// spaces (public groups); a person's followers show only their count.
func (s *Service) serveFollowers(w http.ResponseWriter, r *http.Request) {
	s.serveCollection(w, r, func(a *models.Actor) string { return a.FollowersURI }, s.followPage(true))
}

// serveFollowing answers the following collection (same privacy rule).
func (s *Service) serveFollowing(w http.ResponseWriter, r *http.Request) {
	s.serveCollection(w, r, func(a *models.Actor) string { return a.FollowingURI }, s.followPage(false))
}

func (s *Service) followPage(followers bool) func(ctx context.Context, a *models.Actor, offset int) (int, []any, error) {
	return func(ctx context.Context, a *models.Actor, offset int) (int, []any, error) {
		list := s.store.Following
		if followers {
			list = s.store.Followers
		}
		page, err := list(ctx, a.ID, offset, collectionPageSize)
		if err != nil {
			return 0, nil, err
		}
		items := []any{}
		if a.Type == models.ActorGroup {
			for _, f := range page.Actors {
				items = append(items, f.URI)
			}
		}
		return page.Total, items, nil
	}
}

// serveCollection answers an OrderedCollection with totalItems and a
// first page, or, with ?page=N (1-based), that OrderedCollectionPage.
func (s *Service) serveCollection(w http.ResponseWriter, r *http.Request, idOf func(*models.Actor) string,
	list func(ctx context.Context, a *models.Actor, offset int) (int, []any, error)) {
	if !s.authorizeFetch(w, r) {
		return
	}
	a, err := s.actorByName(r, chi.URLParam(r, "name"))
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	id := idOf(a)
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 0 || page > 100000 {
		page = 0
	}
	offset := max(page-1, 0) * collectionPageSize
	total, items, err := list(r.Context(), a, offset)
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	if page == 0 {
		d := doc{"id": id, "type": "OrderedCollection", "totalItems": total}
		if total > 0 {
			d["first"] = id + "?page=1"
		}
		s.writeDoc(w, r, http.StatusOK, d)
		return
	}
	d := doc{"id": fmt.Sprintf("%s?page=%d", id, page), "type": "OrderedCollectionPage", "partOf": id,
		"totalItems": total, "orderedItems": items}
	if offset+collectionPageSize < total && len(items) > 0 {
		d["next"] = fmt.Sprintf("%s?page=%d", id, page+1)
	}
	if page > 1 {
		d["prev"] = fmt.Sprintf("%s?page=%d", id, page-1)
	}
	s.writeDoc(w, r, http.StatusOK, d)
}

// serveFollow answers GET /follows/{token}: the Follow a local actor
// sent, so peers can dereference it.
func (s *Service) serveFollow(w http.ResponseWriter, r *http.Request) {
	if !s.authorizeFetch(w, r) {
		return
	}
	ctx := r.Context()
	f, err := s.store.FollowByURI(ctx, s.store.URLs.FollowURI(chi.URLParam(r, "token")))
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	follower, err := s.store.ActorByID(ctx, f.FollowerID)
	if err != nil || !follower.Local {
		s.writeResult(w, r, nil, models.ErrNotFound)
		return
	}
	followee, err := s.store.ActorByID(ctx, f.FolloweeID)
	if err != nil {
		s.writeResult(w, r, nil, err)
		return
	}
	s.writeDoc(w, r, http.StatusOK, followDoc(f, follower, followee))
}
