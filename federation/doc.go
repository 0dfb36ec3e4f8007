// Package federation is odn's ActivityPub door: HTTP Signatures, WebFinger,
// NodeInfo, safe outgoing HTTP, fetching remote objects and the
// ActivityStreams (de)serialisation helpers built on go-fed.
//
// It owns everything that knows about ActivityStreams, JSON-LD and the
// fediverse peers' quirks (see /work/shared/INTEROP.md). It must not import
// web or cmd; it talks to models only through small interfaces, and the
// primitives in this file set (signature, ssrf, fetch, webfinger, nodeinfo,
// jsonld, mastodon) import no other odn package at all.
//
// Nothing here keeps mutable package state: clients, signers and fetchers
// are values built by the caller, so several odn instances can run in one
// test process.
package federation
