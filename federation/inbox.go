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
// limit (429) by the signing key's host, 1 MB cap (413), HTTP signature
// with Date and Digest (401), key owner = actor (401), a cheap peek at id,
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
	keyHost := signatureKeyHost(r)
	if keyHost == "" {
		s.inboxRefuse(w, r, http.StatusUnauthorized, "missing or malformed signature", ErrNoSignature)
		return
	}
	if s.blocks.blocked(ctx, keyHost) {
		s.inboxRefuse(w, r, http.StatusForbidden, "domain blocked", ErrBlocked)
		return
	}
	if ok, retry := s.limiter.allow(keyHost); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)+1))
		s.inboxRefuse(w, r, http.StatusTooManyRequests, "rate limited", nil)
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
	v, err := s.verify(r, body)
	if err != nil {
		status := http.StatusUnauthorized
		if errors.Is(err, ErrBlocked) {
			status = http.StatusForbidden
		}
		s.inboxRefuse(w, r, status, "signature refused", err)
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
