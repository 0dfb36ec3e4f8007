package models

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// DomainBlock refuses a remote domain and its subdomains: inbound
// activities are refused, nothing is delivered there, its follows are
// removed and its actors' contributions hidden.
type DomainBlock struct {
	bun.BaseModel `bun:"table:domain_blocks"`
	Domain        string    `bun:",pk" json:"domain"`
	Reason        string    `bun:",notnull" json:"reason"`
	CreatedBy     *int64    `bun:",nullzero" json:"-"`
	CreatedAt     time.Time `bun:",notnull" json:"created_at"`
}

// domainBlockedHooks let civic files hide the contributions of a blocked
// domain's actors (set hidden_at on their comments, proposals…) in the
// blocking transaction. actorIDs selects the domain's actors:
// "SELECT id FROM actors WHERE …", usable as `author_id IN (?)` with
// bun.Safe. Unblocking does not un-hide: moderators decide.
var domainBlockedHooks []func(ctx context.Context, s *Store, tx bun.Tx, domain string, actorIDs *bun.SelectQuery) error

func init() {
	// Remote copies of civic content carry author_id and hidden_at: hide
	// what the blocked domain's actors wrote (moderators may un-hide).
	domainBlockedHooks = append(domainBlockedHooks, func(ctx context.Context, s *Store, tx bun.Tx, _ string, actorIDs *bun.SelectQuery) error {
		for _, table := range []string{"comments", "proposals", "debates", "petitions"} {
			_, err := tx.NewUpdate().Table(table).Set("hidden_at = ?", s.Now()).
				Where("author_id IN (?) AND hidden_at IS NULL", actorIDs).Exec(ctx)
			if err != nil {
				return dbErr("hide blocked "+table, err)
			}
		}
		return nil
	})
}

// ValidateDomain normalises a domain name (lower case, no scheme, path or
// trailing dot) and checks it looks like one.
func ValidateDomain(d string) (string, error) {
	d = normalizeHost(d)
	d = strings.TrimPrefix(strings.TrimPrefix(d, "https://"), "http://")
	d = strings.TrimSuffix(d, "/")
	if d == "" || len(d) > 253 || strings.ContainsAny(d, "/@ ,?#") {
		return "", Invalid("domain", "must be a domain name such as town.example")
	}
	host := d
	if h, _, err := net.SplitHostPort(d); err == nil {
		host = h
	}
	if net.ParseIP(host) == nil && !strings.Contains(host, ".") && host != "localhost" {
		return "", Invalid("domain", "must be a domain name such as town.example")
	}
	return d, nil
}

// onDomain is the condition "host is on the blocked domain": the domain
// or a subdomain, with or without a port (hosts are kept as URLs name
// them, port included; BlockedSet.Has ignores it). Its arguments are
// domainArgs(d), whose patterns escape LIKE's wildcards: "a_b.example"
// must not match "axb.example".
const onDomain = `(host = ? OR host LIKE ? ESCAPE '\' OR host LIKE ? ESCAPE '\' OR host LIKE ? ESCAPE '\')`

func domainArgs(d string) []any {
	e := likeEscaper.Replace(d)
	return []any{d, "%." + e, e + ":%", "%." + e + ":%"}
}

// likeEscaper escapes the wildcards of a text put in a LIKE pattern
// (ESCAPE '\'), so that it matches itself only.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// BlockDomain blocks a domain: by must be an admin (nil for the command
// line). In one transaction it records the block, removes every follow
// involving the domain's actors, drops their unprocessed inbox items and
// pending deliveries to the domain, and runs the civic hide hooks.
func (s *Store) BlockDomain(ctx context.Context, by *Account, domain, reason string) (*DomainBlock, error) {
	if by != nil && !by.IsAdmin() {
		return nil, ErrForbidden
	}
	d, err := ValidateDomain(domain)
	if err != nil {
		return nil, err
	}
	if d == normalizeHost(s.URLs.Host()) {
		return nil, Invalid("domain", "You cannot block your own instance.")
	}
	b := &DomainBlock{Domain: d, Reason: strings.TrimSpace(reason), CreatedAt: s.Now()}
	if by != nil {
		b.CreatedBy = &by.ID
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return dbErr("block domain", err)
		}
		actorIDs := tx.NewSelect().Model((*Actor)(nil)).Column("id").Where("NOT local").
			Where(onDomain, domainArgs(d)...)
		if _, err := tx.NewDelete().Model((*Follow)(nil)).
			Where("follower_id IN (?) OR followee_id IN (?)", actorIDs, actorIDs).Exec(ctx); err != nil {
			return dbErr("remove blocked follows", err)
		}
		if _, err := tx.NewDelete().Model((*InboxItem)(nil)).Where("processed_at IS NULL").
			Where(onDomain, domainArgs(d)...).Exec(ctx); err != nil {
			return dbErr("drop blocked inbox", err)
		}
		// The Flags of forwarded reports there will not go: first the
		// reports read failed, while their jobs are still pending.
		flags := tx.NewSelect().Model((*Delivery)(nil)).Column("report_id").Where("report_id IS NOT NULL").
			Where("state = ?", DeliveryPending).Where(onDomain, domainArgs(d)...)
		if err := forwardsFailed(ctx, tx, flags, ForwardErrorBlocked); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*Delivery)(nil)).Set("state = ?", DeliveryCancelled).
			Set("last_error = ?", "domain blocked").Set("updated_at = ?", b.CreatedAt).
			Where("state = ?", DeliveryPending).Where(onDomain, domainArgs(d)...).Exec(ctx); err != nil {
			return dbErr("cancel blocked deliveries", err)
		}
		for _, hook := range domainBlockedHooks {
			if err := hook(ctx, s, tx, d, actorIDs); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, by, "block_domain", "domain", d, b.Reason)
	})
	if errors.Is(err, ErrDuplicate) {
		return nil, Invalid("domain", "This domain is already blocked.")
	}
	return b, err
}

// UnblockDomain lifts a block.
func (s *Store) UnblockDomain(ctx context.Context, by *Account, domain string) error {
	if by != nil && !by.IsAdmin() {
		return ErrForbidden
	}
	d, err := ValidateDomain(domain)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*DomainBlock)(nil)).Where("domain = ?", d).Exec(ctx)
		if err != nil {
			return dbErr("unblock domain", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return s.audit(ctx, tx, by, "unblock_domain", "domain", d, "")
	})
}

// DomainBlocks lists the blocks by domain.
func (s *Store) DomainBlocks(ctx context.Context) ([]DomainBlock, error) {
	var out []DomainBlock
	err := s.DB.NewSelect().Model(&out).Order("domain").Scan(ctx)
	return out, dbErr("domain blocks", err)
}

// IsDomainBlocked reports whether host (with or without port) or one of
// its parent domains is blocked.
func (s *Store) IsDomainBlocked(ctx context.Context, host string) (bool, error) {
	set, err := s.blockedSet(ctx)
	return set.has(host), err
}

// BlockedDomains returns the blocked domains, for callers that cache them.
func (s *Store) BlockedDomains(ctx context.Context) (BlockedSet, error) { return s.blockedSet(ctx) }

// BlockedSet is a set of blocked domains; Has matches subdomains too.
type BlockedSet map[string]bool

func (s *Store) blockedSet(ctx context.Context) (BlockedSet, error) { return blockedSetOn(ctx, s.DB) }

// blockedSetOn reads the blocked domains through db: inside a write
// transaction pass the tx, never s.DB (a second pool connection waits for
// the write lock the tx holds: a deadlock once the pool is busy).
func blockedSetOn(ctx context.Context, db bun.IDB) (BlockedSet, error) {
	var domains []string
	if err := db.NewSelect().Model((*DomainBlock)(nil)).Column("domain").Scan(ctx, &domains); err != nil {
		return nil, dbErr("blocked domains", err)
	}
	set := make(BlockedSet, len(domains))
	for _, d := range domains {
		set[d] = true
	}
	return set, nil
}

func (b BlockedSet) has(host string) bool { return b.Has(host) }

// Has reports whether host or a parent domain of it is in the set. A block
// of "host:port" matches only that port; a block of "host" every port.
func (b BlockedSet) Has(host string) bool {
	if len(b) == 0 || host == "" {
		return false
	}
	host = normalizeHost(host)
	if b[host] {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = strings.TrimSuffix(h, ".") // "evil.example.:443" is evil.example
	}
	for {
		if b[host] {
			return true
		}
		i := strings.IndexByte(host, '.')
		if i < 0 {
			return false
		}
		host = host[i+1:]
	}
}
