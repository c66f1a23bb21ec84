package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/duban-gov/duban/pkg/plan"
	"github.com/duban-gov/duban/pkg/store"
)

func TestTokens(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	created := time.Date(2022, 10, 15, 9, 0, 0, 0, shanghai)

	admin := &store.Token{Name: "ops", Role: "admin", CreatedAt: created}
	if err := db.CreateToken(ctx, admin, "hash-admin"); err != nil {
		t.Fatal(err)
	}
	reporter := &store.Token{Name: "医保局填报员", Role: "reporter", Unit: "yibao", CreatedBy: "ops"}
	if err := db.CreateToken(ctx, reporter, "hash-reporter"); err != nil {
		t.Fatal(err)
	}
	if admin.ID == 0 || reporter.ID == 0 || admin.ID == reporter.ID {
		t.Fatalf("ids %d, %d: want two distinct non-zero ids", admin.ID, reporter.ID)
	}
	if !admin.CreatedAt.Equal(created) {
		t.Errorf("created_at %v, want %v", admin.CreatedAt, created)
	}

	tests := []struct {
		name     string
		hash     string
		wantCode string
		wantID   int64
	}{
		{"admin by hash", "hash-admin", "", admin.ID},
		{"reporter by hash", "hash-reporter", "", reporter.ID},
		{"unknown hash", "hash-nobody", plan.ENOTFOUND, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.TokenByHash(ctx, tt.hash)
			if plan.ErrorCode(err) != tt.wantCode && !(err == nil && tt.wantCode == "") {
				t.Fatalf("err %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode == "" && (got == nil || got.ID != tt.wantID) {
				t.Fatalf("got %+v, want id %d", got, tt.wantID)
			}
		})
	}

	if err := db.CreateToken(ctx, &store.Token{Role: "viewer"}, "hash-admin"); plan.ErrorCode(err) != plan.ECONFLICT {
		t.Errorf("same hash twice: %v, want conflict", err)
	}
	if n, err := db.CountActiveTokens(ctx, "admin"); err != nil || n != 1 {
		t.Errorf("active admins %d, %v; want 1", n, err)
	}

	revokedAt := created.Add(time.Hour)
	got, err := db.RevokeToken(ctx, reporter.ID, revokedAt)
	if err != nil {
		t.Fatal(err)
	}
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoked_at %v, want %v", got.RevokedAt, revokedAt)
	}
	again, err := db.RevokeToken(ctx, reporter.ID, revokedAt.Add(time.Hour))
	if err != nil || !again.RevokedAt.Equal(revokedAt) {
		t.Errorf("revoking twice: %v, %v; want the first instant kept", again, err)
	}
	if _, err := db.RevokeToken(ctx, 999, revokedAt); plan.ErrorCode(err) != plan.ENOTFOUND {
		t.Errorf("revoke unknown: %v, want not_found", err)
	}
	if n, err := db.CountActiveTokens(ctx, ""); err != nil || n != 1 {
		t.Errorf("active tokens %d, %v; want 1 after revoking one of two", n, err)
	}

	if err := db.TouchToken(ctx, admin.ID, revokedAt); err != nil {
		t.Fatal(err)
	}
	list, total, err := db.Tokens(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(list) != 1 || list[0].ID != admin.ID || list[0].LastUsedAt == nil {
		t.Errorf("first page %+v of %d: want the admin token, used, of 2", list, total)
	}
}
