// Package postgres keeps the console's sessions in its own PostgreSQL
// schema, so that every console replica knows every signed-in user and a
// restart signs nobody out. It is the console's only storage.
package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/o2c-platform/o2c/libs/identity"
	"github.com/o2c-platform/o2c/services/console/internal/web"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Schema is the console's PostgreSQL schema.
const Schema = "console"

// Migrations returns the console's migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrationFiles, "migrations") // embedded: cannot fail
	return sub
}

// Sessions is web.Sessions in PostgreSQL.
type Sessions struct {
	pool *pgxpool.Pool
}

// NewSessions returns the sessions of pool's console schema.
func NewSessions(pool *pgxpool.Pool) *Sessions { return &Sessions{pool: pool} }

// hash is the key a session id is stored under.
func hash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// Get implements web.Sessions.
func (s *Sessions) Get(ctx context.Context, id string, now time.Time) (*web.Session, error) {
	sess := &web.Session{ID: id}
	var principal []byte
	err := s.pool.QueryRow(ctx, `SELECT csrf, principal, token, tenant, locale, expires_at FROM sessions WHERE id_hash = $1`, hash(id)).
		Scan(&sess.CSRF, &principal, &sess.Token, &sess.Tenant, &sess.Locale, &sess.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, web.ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("read a session: %w", err)
	}
	if !now.Before(sess.Expires) {
		_ = s.Delete(ctx, id)
		return nil, fmt.Errorf("%w: expired at %s", web.ErrNoSession, sess.Expires.Format(time.RFC3339))
	}
	var p identity.Principal
	if err := json.Unmarshal(principal, &p); err != nil {
		return nil, fmt.Errorf("read a session: principal: %w", err)
	}
	sess.Principal = p
	return sess, nil
}

// Put implements web.Sessions. It also removes the sessions that expired
// an hour or more before this one was written.
func (s *Sessions) Put(ctx context.Context, sess *web.Session) error {
	principal, err := json.Marshal(sess.Principal)
	if err != nil {
		return fmt.Errorf("store a session: %w", err)
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO sessions (id_hash, csrf, principal, token, tenant, locale, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id_hash) DO UPDATE SET csrf = EXCLUDED.csrf, principal = EXCLUDED.principal, token = EXCLUDED.token,
		    tenant = EXCLUDED.tenant, locale = EXCLUDED.locale, expires_at = EXCLUDED.expires_at`,
		hash(sess.ID), sess.CSRF, principal, sess.Token, sess.Tenant, sess.Locale, sess.Expires)
	b.Queue(`DELETE FROM sessions WHERE expires_at < now() - interval '1 hour'`)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("store a session: %w", err)
	}
	return nil
}

// Delete implements web.Sessions.
func (s *Sessions) Delete(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id_hash = $1`, hash(id)); err != nil {
		return fmt.Errorf("delete a session: %w", err)
	}
	return nil
}
