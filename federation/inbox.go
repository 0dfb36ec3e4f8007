package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
)

// inbox receives an activity in the shared inbox or a personal one. The
// hot path only authenticates and stores: blocked domain (403) and rate
// limit (429) by the claimed key host, 1 MB cap (413), HTTP signature
// with Date and Digest (401), rate limit by the verified host (429), key
// owner = actor (401), a cheap peek at id,
// type and actor (400), durable storage with dedupe by activity id, then
// 202. The inbox worker parses and applies it later.
func (s *Service) inbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	recipient := ""
	if name := chi.URLParam(r, "name"); name != "" {
		a, err := s.store.LocalActorByUsername(ctx, name)
		if err != nil {
			s.inboxRefuse(w, r, http.StatusNotFound, "no such inbox", err)
			return
		}
		recipient = a.URI
	}
	// The key host is only claimed until the signature is verified: it
	// picks the domain block, but no budget of that host's is spent before
	// the signature holds, or a forger naming a peer's key would spend the
	// peer's. Before, the client's address pays (claimFactor times a
	// host's rate: one address may carry several honest hosts); after, the
	// verified host. Key fetches that unknown key ids cause are bounded
	// per host (fetchBudget), so many addresses cannot make odn hammer a
	// third party either, and addresses that never delivered a verified
	// activity of that host share only a quarter of its fetches, so
	// naming a big host's nonexistent actors cannot spend the fetches its
	// own server's new actors need.
	keyHost := signatureKeyHost(r)
	if keyHost == "" {
		s.inboxRefuse(w, r, http.StatusUnauthorized, "missing or malformed signature", ErrNoSignature)
		return
	}
	if s.blocks.blocked(ctx, keyHost) {
		s.inboxRefuse(w, r, http.StatusForbidden, "domain blocked", ErrBlocked)
		return
	}
	client := clientOf(r)
	if !s.charge(w, r, s.claimLimit, client.group) {
		return
	}
	if r.ContentLength > MaxBodyBytes {
		s.inboxRefuse(w, r, http.StatusRequestEntityTooLarge, "body too large", ErrTooLarge)
		return
	}
	body, err := ReadLimited(r.Body, MaxBodyBytes)
	if err != nil {
		status := http.StatusBadRequest
		if errors.Is(err, ErrTooLarge) {
			status = http.StatusRequestEntityTooLarge
		}
		s.inboxRefuse(w, r, status, "unreadable body", err)
		return
	}
	v, err := s.verify(r, body, client)
	if err != nil {
		s.inboxRefuse(w, r, s.refusalStatus(w, err), "signature refused", err)
		return
	}
	// The host charged is the verified key's: of several RFC 9421
	// signatures, another than the first may have verified (the key
	// fetch refused a blocked domain's). Whoever sent it from the client's
	// address held one of that host's keys: from now on the full address
	// is known for the host, and the key fetches its requests cause draw
	// on the host's whole budget (fetchBudget), even while this one is
	// refused below.
	verifiedHost := limitHost(hostOf(v.KeyID))
	s.fetchBudget.verified(client, verifiedHost)
	if !s.charge(w, r, s.hostLimit, verifiedHost) {
		return
	}
	id, typ, actor, err := PeekType(body)
	if err != nil || actor == "" {
		s.inboxRefuse(w, r, http.StatusBadRequest, "malformed activity", err)
		return
	}
	if v.Owner != actor && !s.mayActFor(r, v.Owner, actor, typ) {
		s.inboxRefuse(w, r, http.StatusUnauthorized, "signer is not the actor", nil)
		return
	}
	if id == "" {
		h := sha256.Sum256(body)
		id = "urn:odn:sha256:" + hex.EncodeToString(h[:])
	} else if !sameOrigin(id, actor) {
		s.inboxRefuse(w, r, http.StatusBadRequest, "activity id not on the actor's host", nil)
		return
	}
	item := &models.InboxItem{ActivityID: id, Type: typ, ActorURI: actor, KeyOwner: v.Owner,
		Host: hostOf(actor), Recipient: recipient, Body: string(body)}
	stored, err := s.store.StoreInboxItem(ctx, item)
	if err != nil {
		s.log.ErrorContext(ctx, "store inbox item", "activity_id", id, "err", err)
		if models.IsUnavailable(err) {
			// Peers retry 5xx; tell them when (full disk, database restart).
			w.Header().Set("Retry-After", "60")
			http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
			return
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.inboxPosts.Add(1)
	result := "accepted"
	if !stored {
		result = "duplicate"
	}
	s.m.inbox(result)
	w.WriteHeader(http.StatusAccepted)
}

// mayActFor allows one exception to "the signer is the actor": a Delete of
// an actor signed by the instance actor of the same host, because a
// deleted account no longer has a key to sign its own Delete. A bot may
// sign it too (Mastodon's bots are Services): handleDelete applies it only
// to the actor itself, once its origin answers 404 or 410.
func (s *Service) mayActFor(r *http.Request, signer, actor, typ string) bool {
	if typ != "Delete" || !sameOrigin(signer, actor) {
		return false
	}
	a, err := s.store.ActorByURI(r.Context(), signer)
	return err == nil && (a.Type == "Application" || a.Type == "Service")
}

// charge takes a token from l for key, or answers 429 with Retry-After.
func (s *Service) charge(w http.ResponseWriter, r *http.Request, l *keyLimiter, key string) bool {
	ok, retry := l.allow(key)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)+1))
		s.inboxRefuse(w, r, http.StatusTooManyRequests, "rate limited", nil)
	}
	return ok
}

// refusalStatus is the status of a refused signature: 403 for a blocked
// domain, 429 with Retry-After when the key could not be fetched for now
// (too many fetches from its host), 401 otherwise.
func (s *Service) refusalStatus(w http.ResponseWriter, err error) int {
	var later *retryLater
	switch {
	case errors.Is(err, ErrBlocked):
		return http.StatusForbidden
	case errors.As(err, &later):
		w.Header().Set("Retry-After", strconv.Itoa(int(later.after/time.Second)+1))
		return http.StatusTooManyRequests
	}
	return http.StatusUnauthorized
}

// inboxRefuse answers a refused POST and counts it; nothing was stored.
func (s *Service) inboxRefuse(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	s.m.inbox(strconv.Itoa(status))
	s.log.DebugContext(r.Context(), "inbox refused", "status", status, "reason", msg, "err", err, "remote", r.RemoteAddr)
	http.Error(w, msg, status)
}

// signatureKeyHost returns the host of the request's signature key id,
// or "" when there is no parseable signature.
func signatureKeyHost(r *http.Request) string {
	return hostOf(signatureKeyID(r.Header))
}
