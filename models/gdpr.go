package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Right of access (GDPR art. 15 and 20): a user downloads everything the
// instance stores about them, in JSON. The tables are discovered from the
// schema, so a table added later with an account_id, actor_id or
// author_id column is included without touching this file; one where such
// a column names someone else than the row's owner must say so in
// gdprExtraKeys, and a column naming who did something on someone else's
// row (answered_by…) needs a gdprLink (TestGDPRKeysCoverSchema fails
// until it has one).

// AccountData is everything stored about one account.
type AccountData struct {
	GeneratedAt time.Time `json:"generated_at"`
	Instance    string    `json:"instance"`
	// Notes explain each part; they are part of the download.
	Notes map[string]string `json:"notes"`
	// Tables holds, per table, the rows about the account (secrets
	// removed), keyed by column name.
	Tables map[string][]map[string]any `json:"tables"`
}

// gdprKeys says which columns tie a row to the account ("account") or to
// its actor ("actor"); any table with such a column is exported.
var gdprKeys = map[string]string{
	"account_id": "account", "actor_id": "actor", "author_id": "actor", "follower_id": "actor",
	"followee_id": "actor", "reporter_id": "actor", "addressee_id": "actor",
}

// gdprExtraKeys are table-specific links that the generic names miss,
// or, with "", generic names that do not tie the row to the account: the
// row is someone else's and only mentions them. A notification belongs to
// its addressee (account_id, with its read_at); its actor_id is whoever
// triggered it, so answering a petition must not put one row per signer,
// anonymous ones included, in the answerer's download.
var gdprExtraKeys = map[string]map[string]string{
	"accounts":               {"id": "account"},
	"invites":                {"created_by": "account", "used_by": "account"},
	"spaces":                 {"created_by": "account"},
	"notifications":          {"actor_id": ""},
	"consultations":          {"created_by": "account"},
	"workshop_contributions": {"recorded_by": "account"},
	"domain_blocks":          {"created_by": "account"},
}

// gdprLink selects rows tied to the account otherwise than by an owner
// column, exported under name.
type gdprLink struct {
	name, table string
	// cols are the columns exported; nil for every one but secrets.
	cols []string
	// where is the condition, with ?actor, ?account, ?actor_uri and
	// ?username standing for the account's (gdprArgs).
	where string
}

// gdprLinks are of two sorts. Acts: what the account did on someone
// else's row as a moderator or decision-maker (a proposal's answer, the
// note closing a report, the message forwarding one); only the columns of
// the act are exported, as the rest of the row (a reporter's reason, kept
// from the reported) is someone else's. Rows that are the account's
// through what it wrote or about its account: its contributions' map
// locations and tags, the ids of what it deleted, and the audit entries
// naming its account (a role given, a decision-maker mark, a log-in
// unlocked). Reports filed about the account or its content are not
// exported: they would name the reporters.
var gdprLinks = []gdprLink{
	{"proposals_answered", "proposals", []string{"id", "uri", "status", "answer", "answered_by", "answered_at"},
		"answered_by = ?actor"},
	{"reports_resolved", "reports", []string{"id", "object_type", "object_id", "status", "resolution", "resolved_by", "resolved_at"},
		"resolved_by = ?account"},
	{"reports_forwarded", "reports", []string{"id", "object_type", "object_id", "forwarded_at", "forwarded_by", "forward_comment", "forward_status"},
		"forwarded_by = ?account"},
	{"contribution_locations", "contribution_locations", nil,
		"(object_type = '" + ObjectTypeProposal + "' AND object_id IN (SELECT id FROM proposals WHERE author_id = ?actor))" +
			" OR (object_type = '" + ObjectTypeDebate + "' AND object_id IN (SELECT id FROM debates WHERE author_id = ?actor))" +
			" OR (object_type = '" + ObjectTypePetition + "' AND object_id IN (SELECT id FROM petitions WHERE author_id = ?actor))"},
	{"proposal_tags", "proposal_tags", nil, "proposal_id IN (SELECT id FROM proposals WHERE author_id = ?actor)"},
	{"tombstones", "tombstones", nil, "actor_uri = ?actor_uri"},
	{"audit_log_about_you", "audit_log", []string{"id", "action", "target_type", "target_id", "detail", "created_at"},
		"target_type = 'account' AND target_id = ?username"},
}

// gdprSecrets are never exported, even to their owner: a stolen download
// must not be enough to log in or sign as them.
var gdprSecrets = map[string]bool{
	"password_hash": true, "token_hash": true, "private_key_pem": true, "ballot_secret": true, "code_hash": true,
}

// gdprSkip are plumbing tables: the outbox and delivery queues hold
// copies of the same facts for other servers, for a few days at most.
// The mail outbox holds e-mails not yet sent, for an hour to three days
// at most (MailLifetime): odn's texts, to the account's own address,
// which the download gives (a link's token is minted when it is sent).
var gdprSkip = []string{"events", "deliveries", "delivery_bodies", "inbox_items", "handles", "mail_outbox"}

// AccountExport gathers everything about acc.
func (s *Store) AccountExport(ctx context.Context, acc *Account) (*AccountData, error) {
	if acc == nil || acc.Actor == nil {
		return nil, ErrUnauthorized
	}
	out := &AccountData{GeneratedAt: s.Now(), Instance: s.URLs.Base, Notes: gdprNotes, Tables: map[string][]map[string]any{}}
	schema, err := schemaOf(ctx, s.DB, s.Dialect)
	if err != nil {
		return nil, err
	}
	tables := make([]string, 0, len(schema))
	for t := range schema {
		tables = append(tables, t)
	}
	slices.Sort(tables)
	err = s.snapshot(ctx, func(ctx context.Context, db bun.IDB) error {
		for _, t := range tables {
			if slices.Contains(gdprSkip, t) {
				continue
			}
			rows, err := accountRows(ctx, db, t, schema[t], acc)
			if err != nil {
				return err
			}
			if len(rows) > 0 {
				out.Tables[t] = rows
			}
		}
		for _, l := range gdprLinks {
			rows, err := linkedRows(ctx, db, l, schema[l.table], acc)
			if err != nil {
				return err
			}
			if len(rows) > 0 {
				out.Tables[l.name] = append(out.Tables[l.name], rows...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// accountRows reads the rows of one table that belong to or mention acc,
// without secret columns ("id" of sessions is the session secret).
func accountRows(ctx context.Context, db bun.IDB, table string, cols []column, acc *Account) ([]map[string]any, error) {
	var keep []string
	var where []string
	var args []any
	for _, c := range cols {
		if gdprSecrets[c.Name] || (table == "sessions" && c.Name == "id") {
			continue
		}
		keep = append(keep, quoteIdent(c.Name))
		kind, ok := gdprExtraKeys[table][c.Name]
		if !ok {
			kind = gdprKeys[c.Name]
		}
		if kind == "" {
			continue
		}
		where = append(where, quoteIdent(c.Name)+" = ?")
		if kind == "account" {
			args = append(args, acc.ID)
		} else {
			args = append(args, acc.Actor.ID)
		}
	}
	if len(where) == 0 {
		return nil, nil
	}
	q := db.NewSelect().TableExpr("?", bun.Ident(table)).ColumnExpr(strings.Join(keep, ", "))
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for i, w := range where {
			q = q.WhereOr(w, args[i])
		}
		return q
	})
	return scanAccountRows(ctx, q, table)
}

// linkedRows reads the rows of one gdprLink (none when its table does not
// exist, as in a database not yet migrated to it).
func linkedRows(ctx context.Context, db bun.IDB, l gdprLink, cols []column, acc *Account) ([]map[string]any, error) {
	if len(cols) == 0 {
		return nil, nil
	}
	var keep []string
	for _, c := range cols {
		if !gdprSecrets[c.Name] && (l.cols == nil || slices.Contains(l.cols, c.Name)) {
			keep = append(keep, quoteIdent(c.Name))
		}
	}
	q := db.NewSelect().TableExpr("?", bun.Ident(l.table)).ColumnExpr(strings.Join(keep, ", ")).
		Where(l.where, &gdprArgs{Actor: acc.Actor.ID, Account: acc.ID, ActorURI: acc.Actor.URI, Username: acc.Username})
	return scanAccountRows(ctx, q, l.name)
}

// gdprArgs are the named arguments of gdprLinks' conditions.
type gdprArgs struct {
	Actor    int64  `bun:"actor"`
	Account  int64  `bun:"account"`
	ActorURI string `bun:"actor_uri"`
	Username string `bun:"username"`
}

// scanAccountRows runs q, with texts stored as bytes turned into strings.
func scanAccountRows(ctx context.Context, q *bun.SelectQuery, name string) ([]map[string]any, error) {
	var rows []map[string]any
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("account data %s: %w", name, err)
	}
	for _, r := range rows {
		for k, v := range r {
			if b, ok := v.([]byte); ok {
				r[k] = string(b)
			}
		}
	}
	return rows, nil
}

// gdprNotes explain the download, in English; the web door gives them in
// the member's language (its catalogs hold them as "gdpr.note."+key).
var gdprNotes = map[string]string{
	"what":          "Every row this instance stores about your account or your public identity (actor), table by table.",
	"secrets":       "Your password hash, API token hashes, session secrets and private key are left out: they are secrets even from you.",
	"votes":         "debate_votes and debate_ballots are your ballots; their receipt lets you find your vote in the published receipt list of a closed debate.",
	"notifications": "notifications are the ones addressed to you; actor_id is who caused each one. Those your actions caused for others are theirs.",
	"acts":          "proposals_answered, reports_resolved and reports_forwarded are what you did on others' rows as a moderator: only the columns of your act (the reporter's reason is theirs).",
	"about":         "audit_log_about_you lists the actions taken on your account (role, decision-maker mark, log-in unlocked). Reports filed about you or your content are not included: they would name who filed them.",
	"profile":       "Your display name and bio are public: actors.name and actors.summary (the bio as HTML) are shown on your profile and sent to the servers of those who follow you; accounts.bio is the bio as you wrote it. accounts.email (your confirmed address), accounts.pending_email (an address awaiting confirmation) and accounts.locale (your language; empty: your browser's) are private, never shown nor sent to other servers; accounts.settings_version counts the changes of your language and digest settings (a settings form saved after a change made elsewhere tells you so).",
	"digest":        "accounts.email_digest is whether you asked to receive your unread notifications by e-mail once a day, accounts.digest_sent_at when the last one was sent (empty: never) and accounts.digest_from how far back the next one looks; notifications.digested_at is when a digest told a notification (empty: none did).",
	"avatar":        "Your avatar is public: accounts.avatar_id is its row in uploads (the file itself is at /media/ followed by its key), and actors.icon_url is the address sent to the servers of those who follow you. Deleting your account deletes the file.",
	"resets":        "password_resets are the password reset links sent to your e-mail address: when each was asked for, when it expires and when it was used; they are deleted once expired. The links themselves are left out.",
	"confirmations": "email_confirmations are the links sent to confirm an e-mail address you gave: the address, when each was sent, when it expires and when it was used; they are deleted once expired. The links themselves are left out.",
	"public":        "Proposals, comments, debates and petitions you wrote are public and federated; deleting your account keeps them, shown as by a deleted account.",
	"erasure":       "You can delete your account on your account page; your e-mail addresses, password, role, language, sessions, tokens, e-mailed links, notifications, follows and profile are then erased, and only your user name stays reserved.",
	"remote":        "Copies held by other fediverse servers are theirs; odn asks them to delete your profile when you delete your account.",
	"format":        "Booleans may appear as 0/1 and times as text, depending on the database.",
	"generated":     "generated_at is the time of this download.",
}
