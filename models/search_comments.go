package models

import (
	"strings"
	"time"
)

// searchComments is how the site-wide search finds comments: those a
// thread shows everyone (not deleted, not hidden by moderation nor below
// a hidden comment: shownComments' rule), local or received from the
// fediverse, on an item its own kind would find (the same public
// condition: a comment on a hidden, deleted or withdrawn item, a draft
// debate or a remote copy no space relays is not found), in the item's
// space.
var searchComments = commentSearch{
	{ObjectTypeProposal, SearchProposals},
	{ObjectTypeDebate, SearchDebates},
	{ObjectTypePetition, SearchPetitions},
}

// commentSearch lists the commentable object types with the search kind
// of their items.
type commentSearch []struct{ objectType, kind string }

// belowHidden selects the ids of the comments moderation hid and of every
// reply below them, however deep: few, since hiding is rare, so this
// walks down from the hidden ones rather than up from each hit.
const belowHidden = "WITH RECURSIVE gone(id) AS (" +
	"SELECT id FROM comments WHERE hidden_at IS NOT NULL" +
	" UNION ALL SELECT r.id FROM comments AS r JOIN gone ON r.parent_id = gone.id" +
	") SELECT id FROM gone"

func (cs commentSearch) where(now time.Time, spaceID int64) (string, []any) {
	var items []string
	var args []any
	for _, it := range cs {
		src := searchSources[it.kind]
		cond, a := src.where(now, spaceID)
		// EXISTS, a look-up per comment found, rather than IN, which
		// reads every public item of the kind however few comments match.
		items = append(items, "(object_type = '"+it.objectType+"' AND EXISTS (SELECT 1 FROM "+src.table+" AS o WHERE o.id = comments.object_id AND "+cond+"))")
		args = append(args, a...)
	}
	return "deleted_at IS NULL AND hidden_at IS NULL AND id NOT IN (" + belowHidden + ") AND (" + strings.Join(items, " OR ") + ")", args
}

// columns reads, besides the comment, its item's title and space.
func (cs commentSearch) columns() string {
	of := func(col string) string {
		out := "CASE object_type"
		for _, it := range cs {
			src := searchSources[it.kind]
			field := col
			if col == "title" {
				field = src.title
			}
			out += " WHEN '" + it.objectType + "' THEN (SELECT o." + field + " FROM " + src.table + " AS o WHERE o.id = comments.object_id)"
		}
		return out + " END"
	}
	return "id, " + of("space_id") + " AS space_id, " + of("title") + " AS title, body_html AS text, created_at AS date, object_type, object_id, stance"
}

// kindOf is the search kind of a comment's item of type objectType.
func (cs commentSearch) kindOf(objectType string) string {
	for _, it := range cs {
		if it.objectType == objectType {
			return it.kind
		}
	}
	return ""
}
