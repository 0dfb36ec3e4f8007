package models

import (
	"context"

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
)

type setting struct {
	bun.BaseModel `bun:"table:settings"`
	Key           string `bun:",pk"`
	Value         string `bun:",notnull"`
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
	if key == SettingRegistration && value != RegistrationOpen && value != RegistrationInvite && value != RegistrationClosed {
		return Invalid("registration", "must be open, invite or closed")
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(&setting{Key: key, Value: value}).
			On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value").Exec(ctx)
		if err != nil {
			return dbErr("set setting", err)
		}
		return s.audit(ctx, tx, by, "set_setting", "setting", key, value)
	})
}
