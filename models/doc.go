// Package models owns odn's domain: accounts, actors, spaces and the civic
// objects (proposals, debates, petitions, comments), the rules that govern
// them (who may vote, thresholds, tallies) and their storage through bun.
//
// It must not import web or federation: both doors call the functions here,
// so a vote cast from Mastodon and one cast on the web follow one rule.
package models
