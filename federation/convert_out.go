package federation

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Outgoing documents are built as plain maps here and finished by
// encodeDoc, which sets the fixed @context (the same one Serialize uses).
// go-fed's typed builders need a dozen lines per property and lack half of
// the Mastodon extensions an actor carries; incoming documents still go
// through go-fed (ParseActivity) in the inbox worker.

// doc is an ActivityStreams document under construction.
type doc = map[string]any

// encodeDoc serialises d with odn's @context, without HTML escaping.
func encodeDoc(d doc) ([]byte, error) {
	out := make(doc, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	out["@context"] = Context()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// bare drops @context from an embedded document.
func bare(d doc) doc {
	out := make(doc, len(d))
	for k, v := range d {
		if k != "@context" {
			out[k] = v
		}
	}
	return out
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// updatedStamp formats an object's "updated" to the millisecond: copies
// apply only a strictly newer version (FEP-9967), and two versions sent
// within one second — a count Update and the close just after it — must
// not look alike, or the second is dropped as a replay.
func updatedStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// actorToDoc is the actor document of a local user (Person), space
// (Group) or the instance (Application).
func actorToDoc(a *models.Actor) doc {
	d := doc{
		"id": a.URI, "type": a.Type, "preferredUsername": a.Username,
		"name": a.DisplayName(), "summary": OutgoingHTML(a.Summary), "url": a.URL,
		"inbox": a.Inbox, "outbox": a.Outbox,
		"followers": a.FollowersURI, "following": a.FollowingURI,
		"endpoints":                 doc{"sharedInbox": a.SharedInbox},
		"manuallyApprovesFollowers": a.ManuallyApprove,
		"discoverable":              a.Type != models.ActorApplication,
		"indexable":                 a.Type != models.ActorApplication,
		"published":                 rfc3339(a.CreatedAt),
		"publicKey": doc{
			"id": a.PublicKeyID, "owner": a.URI, "publicKeyPem": a.PublicKeyPEM,
		},
	}
	if a.IconURL != "" {
		// Mastodon reads icon.url as the avatar (and fetches it);
		// mediaType is the sniffed type of a local avatar.
		icon := doc{"type": "Image", "url": a.IconURL}
		if a.IconMediaType != "" {
			icon["mediaType"] = a.IconMediaType
		}
		d["icon"] = icon
	}
	if a.Type == models.ActorGroup {
		// FEP-1b12: a group announces its content; peers show posts
		// "in" it. Lemmy reads postingRestrictedToMods.
		d["postingRestrictedToMods"] = true
	}
	return d
}

// OutgoingHTML reduces HTML we send to the subset Mastodon keeps (the
// same policy as incoming HTML). Every converter passes content, summary
// and name HTML through it.
func OutgoingHTML(s string) string { return SanitizeIncomingHTML(s) }

// tombstoneDoc answers a deleted object (410 Gone).
func tombstoneDoc(uri, formerType string, deleted time.Time) doc {
	d := doc{"id": uri, "type": "Tombstone", "deleted": rfc3339(deleted)}
	if formerType != "" {
		d["formerType"] = formerType
	}
	return d
}

// activityDoc builds an activity addressed to "to" and "cc".
func activityDoc(id, typ, actor string, object any, to, cc []string) doc {
	d := doc{"id": id, "type": typ, "actor": actor, "object": object}
	if len(to) > 0 {
		d["to"] = to
	}
	if len(cc) > 0 {
		d["cc"] = cc
	}
	return d
}

// followDoc is the Follow a local actor sends.
func followDoc(f *models.Follow, follower, followee *models.Actor) doc {
	return activityDoc(f.URI, "Follow", follower.URI, followee.URI, []string{followee.URI}, nil)
}

// acceptDoc accepts (or, with typ "Reject", rejects) a Follow, embedding
// it: Mastodon matches the Follow by its id inside the Accept.
func acceptDoc(typ string, followee *models.Actor, follow doc, followerURI string) doc {
	id := followee.URI + "#" + lowerFirst(typ) + "s/" + shortHash(idOf(follow["id"]))
	return activityDoc(id, typ, followee.URI, bare(follow), []string{followerURI}, nil)
}

// undoDoc undoes one of actor's activities, embedding it.
func undoDoc(actor string, activity doc, to []string) doc {
	return activityDoc(idOf(activity["id"])+"/undo", "Undo", actor, bare(activity), to, nil)
}

// updateActorDoc announces a changed actor document to its followers.
func updateActorDoc(a *models.Actor, now time.Time) doc {
	d := activityDoc(a.URI+"#updates/"+now.Format("20060102T150405.000000"), "Update", a.URI, actorToDoc(a),
		[]string{PublicCollection}, []string{a.FollowersURI})
	d["published"] = rfc3339(now)
	return d
}

// deleteActorDoc tells peers that an actor is gone.
func deleteActorDoc(a *models.Actor) doc {
	return activityDoc(a.URI+"#delete", "Delete", a.URI, a.URI, []string{PublicCollection}, []string{a.FollowersURI})
}

// AnnounceDoc is the FEP-1b12 Announce by which a group relays an
// activity (or, for Mastodon, a bare object) about its content to its
// followers; audience is the group. Civic converters call it.
func AnnounceDoc(group *models.Actor, object any, objectID string) doc {
	d := activityDoc(group.URI+"#announces/"+shortHash(objectID), "Announce", group.URI, object,
		[]string{PublicCollection}, []string{group.FollowersURI})
	d["audience"] = group.URI
	return d
}

// lowerFirst lower-cases the first ASCII letter.
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
