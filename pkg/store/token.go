package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/duban-gov/duban/pkg/plan"
)

// Token is an API bearer token as stored: who it is for and what it may do.
// The secret itself is never stored, only its SHA-256.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"` // admin | supervisor | reporter | viewer
	Unit       string     `json:"unit,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

type tokenRow struct {
	ID         int64 `gorm:"primaryKey"`
	Name       string
	Role       string
	Unit       string
	Hash       string
	CreatedAt  time.Time
	CreatedBy  string
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

func (tokenRow) TableName() string { return "tokens" }

func (r tokenRow) token() Token {
	t := Token{ID: r.ID, Name: r.Name, Role: r.Role, Unit: r.Unit, CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy}
	if r.LastUsedAt != nil {
		u := r.LastUsedAt.UTC()
		t.LastUsedAt = &u
	}
	if r.RevokedAt != nil {
		u := r.RevokedAt.UTC()
		t.RevokedAt = &u
	}
	return t
}

// CreateToken stores a token under the hash of its secret (hex SHA-256) and
// sets t.ID. A zero CreatedAt becomes now.
func (db *DB) CreateToken(ctx context.Context, t *Token, hash string) error {
	if hash == "" || t.Role == "" {
		return plan.Errorf(plan.EINVALID, "令牌缺少角色或摘要")
	}
	created := t.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	row := tokenRow{Name: t.Name, Role: t.Role, Unit: t.Unit, Hash: hash,
		CreatedAt: created.UTC().Truncate(time.Microsecond), CreatedBy: t.CreatedBy}
	if err := db.w.WithContext(ctx).Create(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return plan.Errorf(plan.ECONFLICT, "令牌已存在")
		}
		return fmt.Errorf("create token: %w", err)
	}
	*t = row.token()
	return nil
}

// TokenByHash finds the token whose secret has this hash, revoked or not;
// plan.ENOTFOUND when there is none.
func (db *DB) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	var row tokenRow
	err := db.r.WithContext(ctx).Where("hash = ?", hash).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "令牌不存在")
	}
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	t := row.token()
	return &t, nil
}

// Token finds a token by id; plan.ENOTFOUND when there is none.
func (db *DB) Token(ctx context.Context, id int64) (*Token, error) {
	var row tokenRow
	err := db.r.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "令牌 %d 不存在", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find token %d: %w", id, err)
	}
	t := row.token()
	return &t, nil
}

// Tokens lists tokens, oldest first, one page of them (limit 0: all), and how many there are.
func (db *DB) Tokens(ctx context.Context, limit, offset int) ([]Token, int, error) {
	if limit < 0 || offset < 0 {
		return nil, 0, plan.Errorf(plan.EINVALID, "分页参数无效(limit %d, offset %d)", limit, offset)
	}
	q := db.r.WithContext(ctx).Model(&tokenRow{}).Session(&gorm.Session{})
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count tokens: %w", err)
	}
	page := q.Order("id").Offset(offset)
	if limit > 0 {
		page = page.Limit(limit)
	}
	var rows []tokenRow
	if err := page.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list tokens: %w", err)
	}
	out := make([]Token, len(rows))
	for i, r := range rows {
		out[i] = r.token()
	}
	return out, int(total), nil
}

// CountActiveTokens counts the tokens of a role ("" for any) that are not revoked.
func (db *DB) CountActiveTokens(ctx context.Context, role string) (int, error) {
	q := db.r.WithContext(ctx).Model(&tokenRow{}).Where("revoked_at IS NULL")
	if role != "" {
		q = q.Where("role = ?", role)
	}
	var n int64
	if err := q.Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count tokens: %w", err)
	}
	return int(n), nil
}

// RevokeToken marks a token revoked at the given instant and returns it;
// plan.ENOTFOUND when there is none. Revoking twice keeps the first instant.
func (db *DB) RevokeToken(ctx context.Context, id int64, at time.Time) (*Token, error) {
	res := db.w.WithContext(ctx).Model(&tokenRow{}).
		Where("id = ? AND revoked_at IS NULL", id).
		Update("revoked_at", at.UTC().Truncate(time.Microsecond))
	if res.Error != nil {
		return nil, fmt.Errorf("revoke token %d: %w", id, res.Error)
	}
	return db.tokenAfterWrite(ctx, id)
}

// TouchToken records that a token was used at the given instant.
func (db *DB) TouchToken(ctx context.Context, id int64, at time.Time) error {
	err := db.w.WithContext(ctx).Model(&tokenRow{}).Where("id = ?", id).
		Update("last_used_at", at.UTC().Truncate(time.Microsecond)).Error
	if err != nil {
		return fmt.Errorf("touch token %d: %w", id, err)
	}
	return nil
}

// tokenAfterWrite reads a token through the writer, so that it sees the write just made.
func (db *DB) tokenAfterWrite(ctx context.Context, id int64) (*Token, error) {
	var row tokenRow
	err := db.w.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, plan.Errorf(plan.ENOTFOUND, "令牌 %d 不存在", id)
	}
	if err != nil {
		return nil, fmt.Errorf("find token %d: %w", id, err)
	}
	t := row.token()
	return &t, nil
}
