package models

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// Registration modes decide who may sign up.
const (
	RegistrationOpen   = "open"
	RegistrationInvite = "invite"
	RegistrationClosed = "closed"
)

// Setting keys.
const (
	SettingRegistration = "registration"
	SettingInstanceName = "instance_name"
	SettingRules        = "rules" // Markdown shown on /about
)

// SettingInfo describes a setting odn reads.
type SettingInfo struct {
	Key     string
	Default string // the effective value when none is stored
}

// KnownSettings are the settings odn reads; SetSetting refuses any other
// key. instance_name defaults to WithInstanceName's, else the host name of
// the base URL.
func (s *Store) KnownSettings() []SettingInfo {
	host := s.URLs.Base
	if u, err := url.Parse(s.URLs.Base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	if s.instanceName != "" {
		host = s.instanceName // odn serve --instance-name
	}
	return []SettingInfo{
		{SettingRegistration, RegistrationOpen},
		{SettingInstanceName, host},
		{SettingRules, ""},
	}
}

// SettingDefault returns the default of a known setting, and whether key
// is one.
func (s *Store) SettingDefault(key string) (string, bool) {
	for _, k := range s.KnownSettings() {
		if k.Key == key {
			return k.Default, true
		}
	}
	return "", false
}

func (s *Store) unknownSetting(key string) error {
	keys := make([]string, 0, 3)
	for _, k := range s.KnownSettings() {
		keys = append(keys, k.Key)
	}
	return Invalid("setting", fmt.Sprintf("unknown setting %q: use one of %s", key, strings.Join(keys, ", ")))
}

type setting struct {
	bun.BaseModel `bun:"table:settings"`
	Key           string `bun:",pk"`
	Value         string `bun:",notnull"`
}

// instanceNameTTL bounds how long a process shows an instance name
// another process (odn admin setting set) changed.
const instanceNameTTL = 30 * time.Second

type cachedName struct {
	name string
	at   time.Time
}

// InstanceName is the instance's display name, the same in pages, the API
// and NodeInfo: the instance_name setting, else WithInstanceName's (odn
// serve --instance-name), else the host name. Every page shows it, so it
// is kept for instanceNameTTL (a change in this process shows at once).
func (s *Store) InstanceName(ctx context.Context) string {
	if c := s.nameCache.Load(); c != nil && time.Since(c.at) < instanceNameTTL {
		return c.name
	}
	def, _ := s.SettingDefault(SettingInstanceName)
	name, err := s.Setting(ctx, SettingInstanceName, def)
	if err != nil || name == "" {
		return def // not cached: the database may be back next time
	}
	s.nameCache.Store(&cachedName{name: name, at: time.Now()})
	return name
}

// Setting returns an instance setting, or def when unset.
func (s *Store) Setting(ctx context.Context, key, def string) (string, error) {
	v := new(setting)
	err := s.DB.NewSelect().Model(v).Where("key = ?", key).Scan(ctx)
	if err := dbErr("setting", err); err == ErrNotFound {
		return def, nil
	} else if err != nil {
		return def, err
	}
	return v.Value, nil
}

// SetSetting stores an instance setting and audits the change.
func (s *Store) SetSetting(ctx context.Context, by *Account, key, value string) error {
	if _, ok := s.SettingDefault(key); !ok {
		return s.unknownSetting(key)
	}
	if key == SettingRegistration && value != RegistrationOpen && value != RegistrationInvite && value != RegistrationClosed {
		return Invalid("registration", "must be open, invite or closed")
	}
	defer s.nameCache.Store(nil) // InstanceName reads it again
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&setting{Key: key, Value: value}).
			On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value").Exec(ctx)
		if err != nil {
			return dbErr("set setting", err)
		}
		return s.audit(ctx, tx, by, "set_setting", "setting", key, value)
	})
}
