// Package web is odn's human and programmatic door: server-rendered HTML
// pages (French and English, accessible, no JavaScript required) and the
// JSON API under /api/v1. Handlers are thin: parse, one models call,
// render. Errors are mapped to statuses in errors.go only.
//
// Pages are templ components (https://templ.guide): web/*.templ, compiled
// to the checked-in web/*_templ.go by `make generate` (`make lint` fails
// when one is stale). A page is `xxxPage(p *Page, v *view)` wrapped in
// @layout(p, head) and rendered by s.render; shared pieces (field,
// formErrors, moderationActions, chartBars, list controls…) are in
// layout.templ. Three rules keep pages safe, as the XSS corpus checks:
//   - only HTML sanitised when it was stored (fields named …HTML) goes
//     through templ.Raw;
//   - templ escapes text and attributes and refuses unsafe URL schemes,
//     but does not percent-encode: a value put into a URL query goes
//     through qs;
//   - messages come from the catalogs (p.L.T), never from user input.
//
// Its one background worker is the mail outbox's (mail.go): requests
// queue e-mails in models (reset and confirmation links, notices; the
// worker itself queues those of published syntheses) and
// RunMail, which cmd/odn starts with the other workers when a Mailer is
// set, sends them, retrying temporary failures; Server.Wait lets the
// shutdown and tests see the e-mails asked for tried once.
//
// It imports models, never federation: the ActivityPub door is plugged in
// by cmd/odn through the Federation interface.
package web
