// Package federation is odn's ActivityPub door: HTTP Signatures, WebFinger,
// NodeInfo, safe outgoing HTTP, fetching remote objects, the
// ActivityStreams (de)serialisation helpers built on go-fed, and the inbox,
// outbox and AS <-> models conversion built on them.
//
// It is the only package that knows ActivityStreams, JSON-LD and the
// fediverse peers' quirks (see docs/FEDERATION.md). It may import models,
// never web or cmd. The primitives (signature, verify, sigparse, keys,
// ssrf, fetch, webfinger, nodeinfo, jsonld, activity, mastodon) import no
// other odn package, so they can be tested and fuzzed alone.
//
// The primitives keep no mutable package state: clients, signers and
// fetchers are values built by the caller, so several odn instances can
// run in one test process.
package federation
