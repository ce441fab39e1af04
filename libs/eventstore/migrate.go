package eventstore

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"sort"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate creates schema if needed and applies the embedded migrations to
// it with goose, as the role in url (which becomes the tables' owner). It
// runs with search_path set to schema and keeps goose's version table in
// schema ("goose_db_version"). A PostgreSQL session advisory lock, keyed by
// schema, lets several replicas migrate the same database at once: one
// applies, the others wait and find nothing left to do.
func Migrate(ctx context.Context, url, schema string) error {
	if err := checkSchema(schema); err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("migrate %s: parse url: %w", schema, err)
	}
	if err := createSchema(ctx, cfg.Copy(), schema); err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	cfg.RuntimeParams["search_path"] = schema
	db := stdlib.OpenDB(*cfg)
	defer db.Close()

	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID("migrate", schema)),
		lock.WithLockTimeout(1, 600), // retry every second for up to ten minutes
	)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	files, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, files,
		goose.WithSessionLocker(locker),
		goose.WithTableName(schema+".goose_db_version"),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", schema, err)
	}
	return nil
}

// createSchema creates schema unless it exists. Concurrent migrators of one
// database serialise on an advisory lock, since CREATE SCHEMA IF NOT EXISTS
// itself can fail with a unique violation when two run at once.
func createSchema(ctx context.Context, cfg *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("schema", schema)); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{schema}.Sanitize())
		return err
	})
	if err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	return nil
}

// TemplateName returns a database name that identifies the embedded
// migrations applied to schema: "es_<schema>_" and the first 16 hex digits
// of a SHA-256 over the migration file names and contents. Test helpers
// (pgtest.Template) use it to reuse a migrated template database until a
// migration changes.
func TemplateName(schema string) string {
	h := sha256.New()
	h.Write([]byte(schema + "\x00"))
	var names []string
	_ = fs.WalkDir(migrations, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	sort.Strings(names)
	for _, name := range names {
		data, _ := migrations.ReadFile(name) // embedded: cannot fail for a listed file
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(data))
		h.Write(data)
	}
	return "es_" + schema + "_" + hex.EncodeToString(h.Sum(nil))[:16]
}

// AppRole returns the name of the role services of schema connect as:
// schema + "_app".
func AppRole(schema string) string { return schema + "_app" }

// EnsureAppRole creates the LOGIN role AppRole(schema) unless it exists and
// grants it exactly what a service needs on the migrated schema: USAGE on
// the schema, SELECT and INSERT on events, SELECT, INSERT and UPDATE on
// checkpoints, USAGE on the schema's sequences. It never grants UPDATE,
// DELETE or TRUNCATE on events, and the role owns nothing, so it cannot
// disable the immutability triggers. url must connect as a role that may
// create roles and owns the schema (or a superuser). The role gets no
// password; set one, or certificate authentication, in production.
//
// Roles are cluster-wide while advisory locks are per database, so
// concurrent calls from different databases can race on CREATE ROLE; the
// loser's duplicate-role error is treated as success.
func EnsureAppRole(ctx context.Context, url, schema string) (string, error) {
	if err := checkSchema(schema); err != nil {
		return "", err
	}
	role := AppRole(schema)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", fmt.Errorf("ensure role %s: connect: %w", role, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, role).Scan(&exists); err != nil {
		return "", fmt.Errorf("ensure role %s: %w", role, err)
	}
	r := pgx.Identifier{role}.Sanitize()
	if !exists {
		_, err := conn.Exec(ctx, `CREATE ROLE `+r+` LOGIN`)
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505")) {
			return "", fmt.Errorf("ensure role %s: create: %w", role, err)
		}
	}
	sch := pgx.Identifier{schema}.Sanitize()
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockID("grant", schema)); err != nil {
			return err
		}
		for _, stmt := range []string{
			`GRANT USAGE ON SCHEMA ` + sch + ` TO ` + r,
			`GRANT SELECT, INSERT ON ` + sch + `.events TO ` + r,
			`GRANT SELECT, INSERT, UPDATE ON ` + sch + `.checkpoints TO ` + r,
			`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ` + sch + ` TO ` + r,
		} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("ensure role %s: grant: %w", role, err)
	}
	return role, nil
}

// lockID derives an advisory lock key from a purpose and a schema.
func lockID(kind, schema string) int64 {
	f := fnv.New64a()
	f.Write([]byte("o2c.eventstore\x00" + kind + "\x00" + schema))
	return int64(f.Sum64())
}
