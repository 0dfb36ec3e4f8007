package models

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// ConsultationStats are the figures of a consultation's dashboard and of
// GET /api/v1/consultations/{id}/stats. They derive from the stored rows
// at each call (nothing is cached), so a recount always agrees.
//
// Online contributions are the proposals, debates and petitions attached
// to the consultation and the comments on them; supports, votes and
// signatures make people participants but are not contributions. Hidden
// and deleted rows are not counted. Participants are distinct actors
// online plus the people counted in workshops (who may overlap: a
// workshop sheet carries a head count, not identities).
type ConsultationStats struct {
	ConsultationID       int64          `json:"consultation_id"`
	Participants         int            `json:"participants"`
	ParticipantsOnline   int            `json:"participants_online"`
	ParticipantsWorkshop int            `json:"participants_workshop"`
	Online               int            `json:"-"`
	Workshop             int            `json:"-"`
	Workshops            int            `json:"workshops"` // distinct (date, place) workshops
	ByType               map[string]int `json:"by_type"`
	ByTheme              []ThemeCount   `json:"-"`
	ByInstance           []HostCount    `json:"-"`
	ByDay                []DayCount     `json:"by_day"`
	GeneratedAt          time.Time      `json:"generated_at"`
}

// ThemeCount is a theme's share of a consultation (ThemeID 0: no theme).
type ThemeCount struct {
	ThemeID      int64  `json:"theme_id"`
	Name         string `json:"name"`
	Online       int    `json:"online"`
	Workshop     int    `json:"workshop"`
	Participants int    `json:"participants"`
}

// HostCount is the number of distinct participants from one instance.
type HostCount struct {
	Host         string `json:"host"`
	Local        bool   `json:"local"`
	Participants int    `json:"participants"`
}

// DayCount is one day's activity (UTC days).
type DayCount struct {
	Day           string `json:"day"` // 2006-01-02
	Online        int    `json:"online"`
	Workshop      int    `json:"workshop"`
	Participation int    `json:"participation"` // supports, votes, signatures
}

// Stats kinds that are contributions, in display order.
var statsKinds = []string{"proposal", "debate", "petition", "comment", "workshop", "support", "vote", "signature"}

// StatsKinds lists the kinds of ConsultationStats.ByType in display order.
func StatsKinds() []string { return slices.Clone(statsKinds) }

// ConsultationStatistics computes the statistics of a consultation.
func (s *Store) ConsultationStatistics(ctx context.Context, consultationID int64) (*ConsultationStats, error) {
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	themes, err := s.Themes(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	rows, err := s.consultationRows(ctx, s.DB, c.ID)
	if err != nil {
		return nil, err
	}
	st := &ConsultationStats{ConsultationID: c.ID, ByType: map[string]int{}, GeneratedAt: s.Now()}
	for _, k := range statsKinds {
		st.ByType[k] = 0
	}
	byTheme := map[int64]*ThemeCount{0: {ThemeID: 0}}
	for _, t := range themes {
		byTheme[t.ID] = &ThemeCount{ThemeID: t.ID, Name: t.Name}
	}
	themeActors := map[int64]map[int64]bool{}
	actors := map[int64]bool{}
	days := map[string]*DayCount{}
	workshops := map[string]bool{}
	for _, r := range rows {
		st.ByType[r.Kind]++
		tc := byTheme[r.ThemeID]
		if tc == nil { // a theme of another consultation: count as unthemed
			tc = byTheme[0]
		}
		day := r.When.UTC().Format("2006-01-02")
		if days[day] == nil {
			days[day] = &DayCount{Day: day}
		}
		switch {
		case r.Workshop:
			st.Workshop++
			st.ParticipantsWorkshop += r.Weight
			tc.Workshop++
			tc.Participants += r.Weight
			days[day].Workshop++
		case r.Online:
			st.Online++
			tc.Online++
			days[day].Online++
		default:
			days[day].Participation++
		}
		if r.ActorID != 0 {
			actors[r.ActorID] = true
			if themeActors[tc.ThemeID] == nil {
				themeActors[tc.ThemeID] = map[int64]bool{}
			}
			themeActors[tc.ThemeID][r.ActorID] = true
		}
		if r.Workshop {
			workshops[day+"\x00"+strings.ToLower(r.Place)] = true
		}
	}
	st.Workshops = len(workshops)
	st.ParticipantsOnline = len(actors)
	st.Participants = st.ParticipantsOnline + st.ParticipantsWorkshop
	for _, t := range themes {
		tc := byTheme[t.ID]
		tc.Participants += len(themeActors[t.ID])
		st.ByTheme = append(st.ByTheme, *tc)
	}
	if tc := byTheme[0]; tc.Online+tc.Workshop > 0 || len(themes) == 0 {
		tc.Participants += len(themeActors[0])
		st.ByTheme = append(st.ByTheme, *tc)
	}
	if st.ByInstance, err = s.hostCounts(ctx, actors); err != nil {
		return nil, err
	}
	for _, d := range days {
		st.ByDay = append(st.ByDay, *d)
	}
	slices.SortFunc(st.ByDay, func(a, b DayCount) int { return strings.Compare(a.Day, b.Day) })
	return st, nil
}

// hostCounts groups actors by instance, the local one first, then by
// decreasing count.
func (s *Store) hostCounts(ctx context.Context, actors map[int64]bool) ([]HostCount, error) {
	ids := make([]int64, 0, len(actors))
	for id := range actors {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	byHost := map[string]*HostCount{}
	for _, chunk := range chunkIDs(ids, 400) {
		var as []Actor
		if err := s.DB.NewSelect().Model(&as).Column("id", "host", "local").Where("id IN (?)", bun.In(chunk)).Scan(ctx); err != nil {
			return nil, dbErr("participant hosts", err)
		}
		for _, a := range as {
			h := strings.ToLower(a.Host)
			if byHost[h] == nil {
				byHost[h] = &HostCount{Host: h, Local: a.Local}
			}
			byHost[h].Participants++
		}
	}
	out := make([]HostCount, 0, len(byHost))
	for _, h := range byHost {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b HostCount) int {
		switch {
		case a.Local != b.Local:
			if a.Local {
				return -1
			}
			return 1
		case a.Participants != b.Participants:
			return b.Participants - a.Participants
		}
		return strings.Compare(a.Host, b.Host)
	})
	return out, nil
}
