// Package web is odn's human and programmatic door: server-rendered HTML
// pages (French and English, accessible, no JavaScript required) and the
// JSON API under /api/v1. Handlers are thin: parse, one models call,
// render. Errors are mapped to statuses in errors.go only.
//
// It imports models, never federation: the ActivityPub door is plugged in
// by cmd/odn through the Federation interface.
package web
