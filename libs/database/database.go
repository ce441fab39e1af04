// Package database prepares a service's PostgreSQL schema and connects to it.
//
// Every service owns one schema named after it. At start-up a service that is
// given an owner URL (MIGRATE_DATABASE_URL) migrates its schema: first the
// event store's tables, then the service's own read models and stores, each
// under a PostgreSQL session advisory lock so replicas can start together.
// It then makes sure the schema's app role (<schema>_app) exists with only
// the privileges the service needs, and works through that role, which owns
// no table. A platform team that prefers to migrate out of band leaves the
// owner URL unset and runs `o2c migrate` instead.
package database

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/o2c-platform/o2c/libs/eventstore"
	"github.com/o2c-platform/o2c/libs/rejection"
	"github.com/o2c-platform/o2c/libs/telemetry"
)

// Migrate applies the event store's migrations, the rejection store's
// (package rejection) and then the service's own migrations (files "*.sql"
// at the root of migrations, goose format) to
// schema, as the owner role in ownerURL, and ensures the schema's app role.
// The service migrations may GRANT to the app role: it exists by then. It
// returns the app role's name.
func Migrate(ctx context.Context, ownerURL, schema string, migrations fs.FS) (string, error) {
	if err := eventstore.Migrate(ctx, ownerURL, schema); err != nil {
		return "", err
	}
	role, err := eventstore.EnsureAppRole(ctx, ownerURL, schema)
	if err != nil {
		return "", err
	}
	if err := rejection.Migrate(ctx, ownerURL, schema, role); err != nil {
		return "", err
	}
	if migrations == nil {
		return role, nil
	}
	cfg, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return "", fmt.Errorf("migrate %s: parse url: %w", schema, err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID(schema)), lock.WithLockTimeout(1, 600))
	if err != nil {
		return "", fmt.Errorf("migrate %s: %w", schema, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations,
		goose.WithSessionLocker(locker),
		goose.WithTableName(schema+".goose_service_version"),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return "", fmt.Errorf("migrate %s: %w", schema, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return "", fmt.Errorf("migrate %s: %w", schema, err)
	}
	return role, nil
}

// lockID is the advisory lock key of a schema's service migrations; it
// differs from the event store's own key.
func lockID(schema string) int64 {
	var h int64 = 1469598103934665603
	for _, c := range []byte("o2c.service-migrations\x00" + schema) {
		h = (h ^ int64(c)) * 1099511628211
	}
	return h
}

// AppURL returns ownerURL with the user replaced by role and the password
// removed: the connection a development cluster with trust authentication
// uses for the app role.
func AppURL(ownerURL, role string) (string, error) {
	u, err := url.Parse(ownerURL)
	if err != nil {
		return "", fmt.Errorf("parse database url: %w", err)
	}
	u.User = url.User(role)
	return u.String(), nil
}

// Connect opens a pool on url with search_path set to schema and PostgreSQL
// spans traced through p.
func Connect(ctx context.Context, dbURL, schema string, p telemetry.Providers) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	telemetry.TracePgx(cfg.ConnConfig, p)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to database %s as %s: %w", cfg.ConnConfig.Database, cfg.ConnConfig.User, err)
	}
	return pool, nil
}

// TemplateName names a test template database holding schema migrated by
// Migrate with migrations: the event store's template name plus a hash of
// the service's migration files, so the name changes whenever either does.
func TemplateName(schema string, migrations fs.FS) string {
	h := sha256.New()
	hashFiles(h, rejection.Migrations())
	hashFiles(h, migrations)
	return eventstore.TemplateName(schema) + "_" + hex.EncodeToString(h.Sum(nil))[:8]
}

// hashFiles writes every file of fsys, with its path and length, to h.
func hashFiles(h io.Writer, fsys fs.FS) {
	_ = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return nil
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
		h.Write(data)
		return nil
	})
}
