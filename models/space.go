package models

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Space kinds.
const (
	KindCity        = "city"
	KindAssociation = "association"
	KindCollective  = "collective"
)

// Participation policies: who may support, vote and sign.
const (
	PolicyOpen    = "open"    // any fediverse account
	PolicyNetwork = "network" // accounts of the listed instances (and local ones)
	PolicyLocal   = "local"   // local accounts; remote may follow, read and comment
)

// Data licences a space can publish its open data under.
const (
	LicenceODbL           = "ODbL-1.0"
	LicenceOuverte        = "etalab-2.0"
	LicenceCCBY           = "CC-BY-4.0"
	DefaultLicence        = LicenceODbL
	MaxSpaceTitle         = 120
	MaxSpaceDescription   = 10000
	maxAllowedHosts       = 200
	defaultSpaceThreshold = 0
)

// Licences lists the accepted licence identifiers.
var Licences = []string{LicenceODbL, LicenceOuverte, LicenceCCBY}

// Space is a city's consultations, an association's assembly or a
// collective's agora: it holds proposals, debates and petitions, and is a
// followable Group actor in the fediverse.
type Space struct {
	bun.BaseModel    `bun:"table:spaces"`
	ID               int64     `bun:",pk,autoincrement" json:"-"`
	Name             string    `bun:",notnull" json:"name"`
	Kind             string    `bun:",notnull" json:"kind"`
	Title            string    `bun:",notnull" json:"title"`
	Description      string    `bun:",notnull" json:"description"`
	DescriptionHTML  string    `bun:"description_html,notnull" json:"description_html"`
	Policy           string    `bun:",notnull" json:"policy"`
	AllowedHosts     string    `bun:",notnull" json:"-"`
	SupportThreshold int       `bun:",notnull" json:"support_threshold"`
	Licence          string    `bun:",notnull" json:"licence"`
	ActorID          int64     `bun:",notnull" json:"-"`
	CreatedBy        *int64    `bun:",nullzero" json:"-"`
	CreatedAt        time.Time `bun:",notnull" json:"created_at"`
	UpdatedAt        time.Time `bun:",notnull" json:"updated_at"`
	// Version counts its edits (from 1): an edit made from another one is
	// refused with ErrEditConflict (see EditVersion).
	Version int64 `bun:",notnull,default:1" json:"-"`

	Actor *Actor `bun:"-" json:"-"`
}

// Hosts returns the instances allowed under the network policy.
func (sp *Space) Hosts() []string {
	if sp.AllowedHosts == "" {
		return nil
	}
	return strings.Split(sp.AllowedHosts, ",")
}

// SpaceInput is what an admin fills in to create or edit a space.
type SpaceInput struct {
	Name             string   `json:"name"`
	Kind             string   `json:"kind"`
	Title            string   `json:"title"`
	Description      string   `json:"description"`
	Policy           string   `json:"policy"`
	AllowedHosts     []string `json:"allowed_hosts"`
	SupportThreshold int      `json:"support_threshold"`
	Licence          string   `json:"licence"`
	// IfVersion is the version the edit was made from (its If-Match, a
	// form's hidden field): another is refused with ErrEditConflict; 0
	// accepts any. Creating ignores it.
	IfVersion int64 `json:"-"`
}

func (in *SpaceInput) validate(creating bool) error {
	v := &ValidationError{}
	in.Name = strings.TrimSpace(in.Name)
	if creating {
		if err := ValidateName("name", in.Name); err != nil {
			v.Add("name", err.(*ValidationError).Fields["name"])
		}
	}
	switch in.Kind {
	case KindCity, KindAssociation, KindCollective:
	default:
		v.Add("kind", "must be city, association or collective")
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" {
		in.Title = in.Name
	}
	if n := utf8.RuneCountInString(in.Title); n == 0 || n > MaxSpaceTitle {
		v.Add("title", fmt.Sprintf("must have 1 to %d characters", MaxSpaceTitle))
	}
	if utf8.RuneCountInString(in.Description) > MaxSpaceDescription {
		v.Add("description", fmt.Sprintf("must have at most %d characters", MaxSpaceDescription))
	}
	switch in.Policy {
	case "":
		in.Policy = PolicyOpen
	case PolicyOpen, PolicyNetwork, PolicyLocal:
	default:
		v.Add("policy", "must be open, network or local")
	}
	hosts := in.AllowedHosts[:0]
	for _, h := range in.AllowedHosts {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "" {
			continue
		}
		if strings.ContainsAny(h, ",/ @") || (net.ParseIP(h) == nil && !strings.Contains(h, ".") && !strings.Contains(h, ":") && h != "localhost") {
			v.Add("allowed_hosts", "must be host names such as town.example")
			break
		}
		hosts = append(hosts, h)
	}
	in.AllowedHosts = hosts
	if len(hosts) > maxAllowedHosts {
		v.Add("allowed_hosts", fmt.Sprintf("at most %d hosts", maxAllowedHosts))
	}
	if in.SupportThreshold < 0 || in.SupportThreshold > 10_000_000 {
		v.Add("support_threshold", "must be between 0 and 10000000")
	}
	switch in.Licence {
	case "":
		in.Licence = DefaultLicence
	case LicenceODbL, LicenceOuverte, LicenceCCBY:
	default:
		v.Add("licence", "must be one of "+strings.Join(Licences, ", "))
	}
	return v.Err()
}

// CreateSpace creates a space and its Group actor; only admins may (by is
// nil for the command line, which is trusted).
func (s *Store) CreateSpace(ctx context.Context, by *Account, in SpaceInput) (*Space, error) {
	if by != nil && !by.IsAdmin() {
		return nil, ErrForbidden
	}
	if err := in.validate(true); err != nil {
		// A name already taken is told with the other problems, not once
		// they are fixed (the claim below still decides).
		if ve, ok := errors.AsType[*ValidationError](err); ok && ve.Fields["name"] == "" {
			taken, terr := s.NameTaken(ctx, in.Name)
			if terr != nil {
				return nil, terr
			}
			if taken {
				ve.Add("name", "this name is already taken")
			}
		}
		return nil, err
	}
	uri := s.URLs.ActorURI(in.Name)
	actor, err := s.newLocalActor(ActorGroup, in.Name, in.Title, RenderMarkdown(in.Description), uri, s.URLs.Base+"/s/"+in.Name)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	sp := &Space{
		Name: in.Name, Kind: in.Kind, Title: in.Title, Description: in.Description,
		DescriptionHTML: RenderMarkdown(in.Description), Policy: in.Policy,
		AllowedHosts: strings.Join(in.AllowedHosts, ","), SupportThreshold: in.SupportThreshold,
		Licence: in.Licence, CreatedAt: now, UpdatedAt: now,
	}
	if by != nil {
		sp.CreatedBy = &by.ID
	}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := claimHandle(ctx, tx, "name", in.Name, "space"); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(actor).Exec(ctx); err != nil {
			return dbErr("insert space actor", err)
		}
		sp.ActorID = actor.ID
		if _, err := tx.NewInsert().Model(sp).Exec(ctx); err != nil {
			return dbErr("insert space", err)
		}
		if _, err := tx.NewUpdate().Model(actor).Set("space_id = ?", sp.ID).WherePK().Exec(ctx); err != nil {
			return dbErr("link space actor", err)
		}
		if err := s.audit(ctx, tx, by, "create_space", "space", in.Name, ""); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventSpaceCreated, ObjectType: "space", ObjectID: sp.ID, SpaceID: sp.ID, ActorID: actor.ID})
	})
	if err != nil {
		return nil, err
	}
	actor.SpaceID = &sp.ID
	sp.Actor = actor
	return sp, nil
}

// UpdateSpace edits a space's title, description, kind, policy, threshold
// and licence; the name is permanent (it is part of the actor id): an
// input naming another is refused, not ignored (empty: the space's). An
// edit made from another version than the current one (in.IfVersion) is
// refused with ErrEditConflict.
func (s *Store) UpdateSpace(ctx context.Context, by *Account, name string, in SpaceInput) (*Space, error) {
	if by == nil || !by.IsAdmin() {
		return nil, ErrForbidden
	}
	if in.Name = strings.TrimSpace(in.Name); in.Name == "" {
		in.Name = name
	} else if in.Name != name {
		return nil, Invalid("name", "The name of a space cannot be changed: it is part of its address.")
	}
	if err := in.validate(false); err != nil {
		return nil, err
	}
	sp, err := s.SpaceByName(ctx, name)
	if err != nil {
		return nil, err
	}
	sp.Kind, sp.Title, sp.Description, sp.DescriptionHTML = in.Kind, in.Title, in.Description, RenderMarkdown(in.Description)
	sp.Policy, sp.AllowedHosts, sp.SupportThreshold, sp.Licence = in.Policy, strings.Join(in.AllowedHosts, ","), in.SupportThreshold, in.Licence
	sp.UpdatedAt = s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if sp.Version, err = claimVersion(ctx, tx, "spaces", "version", sp.ID, in.IfVersion); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(sp).WherePK().Exec(ctx); err != nil {
			return dbErr("update space", err)
		}
		_, err = tx.NewUpdate().Model((*Actor)(nil)).Where("id = ?", sp.ActorID).
			Set("name = ?", sp.Title).Set("summary = ?", sp.DescriptionHTML).Set("updated_at = ?", sp.UpdatedAt).Exec(ctx)
		if err != nil {
			return dbErr("update space actor", err)
		}
		if err := s.audit(ctx, tx, by, "update_space", "space", name, ""); err != nil {
			return err
		}
		return s.emit(ctx, tx, Event{Kind: EventSpaceUpdated, ObjectType: "space", ObjectID: sp.ID, SpaceID: sp.ID, ActorID: sp.ActorID})
	})
	if err != nil {
		return nil, err
	}
	return sp, s.attachSpaceActor(ctx, sp)
}

// SpaceByName loads a space with its actor.
func (s *Store) SpaceByName(ctx context.Context, name string) (*Space, error) {
	sp := new(Space)
	if err := s.DB.NewSelect().Model(sp).Where("name = ?", name).Scan(ctx); err != nil {
		return nil, dbErr("space by name", err)
	}
	return sp, s.attachSpaceActor(ctx, sp)
}

// SpaceByID loads a space with its actor.
func (s *Store) SpaceByID(ctx context.Context, id int64) (*Space, error) {
	sp := new(Space)
	if err := s.DB.NewSelect().Model(sp).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, dbErr("space by id", err)
	}
	return sp, s.attachSpaceActor(ctx, sp)
}

func (s *Store) attachSpaceActor(ctx context.Context, sp *Space) error {
	a, err := s.ActorByID(ctx, sp.ActorID)
	sp.Actor = a
	return err
}

// ListSpaces lists spaces by name.
func (s *Store) ListSpaces(ctx context.Context) ([]*Space, error) {
	var out []*Space
	err := s.DB.NewSelect().Model(&out).Order("name").Scan(ctx)
	return out, dbErr("list spaces", err)
}

// Counts returns instance-wide figures for the API and NodeInfo. Other
// parts of models add their own counters through countQueries.
func (s *Store) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for name, table := range countTables {
		n, err := s.DB.NewSelect().TableExpr(table.table).Where(table.where).Count(ctx)
		if err != nil {
			return nil, dbErr("count "+name, err)
		}
		out[name] = int(n)
	}
	return out, nil
}

// countTables lists what Counts counts; civic files add their tables.
var countTables = map[string]struct{ table, where string }{
	"users":  {"accounts", "deleted_at IS NULL"},
	"spaces": {"spaces", "1 = 1"},
}

// MayParticipate applies the space's participation policy to an actor who
// wants to support, vote or sign: open admits everyone, network admits
// local accounts and accounts of the listed instances, local admits local
// accounts only. Reading, following and commenting are always allowed.
func (sp *Space) MayParticipate(a *Actor) error {
	if a == nil {
		return ErrUnauthorized
	}
	if a.DeletedAt != nil {
		return ErrForbidden
	}
	switch sp.Policy {
	case PolicyOpen:
		return nil
	case PolicyNetwork:
		if a.Local || slices.Contains(sp.Hosts(), strings.ToLower(a.Host)) {
			return nil
		}
		return fmt.Errorf("%w: this space accepts participation from its partner instances only", ErrForbidden)
	default:
		if a.Local {
			return nil
		}
		return fmt.Errorf("%w: this space accepts participation from its local members only", ErrForbidden)
	}
}
